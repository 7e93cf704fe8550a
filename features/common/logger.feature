Feature: Logger
  Log entries at or above the configured level reach the LogHandler as LogEntry objects;
  action logs follow the logActions options.

  Background:
    Given the platform is running

  Scenario Outline: The log level filters what the handler receives
    When I create a <product> client with log level "<level>" and a recording log handler
    And the client logs one entry at each level
    Then the handler received entries at the levels <received>

    Examples:
      | product | level  | received                  |
      | cpaas   | debug  | debug, info, warn, error  |
      | cpaas   | info   | info, warn, error         |
      | link    | warn   | warn, error               |
      | link    | error  | error                     |
      | link    | silent | none                      |

  Scenario: A LogEntry carries timestamp, method, level, target and messages
    When I create a link client with log level "debug" and a recording log handler
    And the client logs one entry at each level
    Then every recorded entry has a timestamp, a method, a level, a target with type, id and name, and messages

  Scenario: Timer methods carry timing data
    When I create a link client with log level "debug" and a recording log handler
    And the client times an operation
    Then the last recorded entry has method "timeEnd" and a timer with a duration

  Scenario Outline: Action logs follow the logActions options
    When I create a link client with action logs <options> and a recording action handler
    And the client updates its configuration
    Then the action handler received an action "CONFIG_UPDATE" <details>

    Examples:
      | options                                            | details                                 |
      | {"actionOnly": true, "exposePayloads": false}       | without payload and without state       |
      | {"actionOnly": false, "exposePayloads": true}       | with payload and with state             |
      | {"actionOnly": false, "diff": true}                 | with payload and with a diff            |
      | {"collapsed": true}                                 | collapsed into one summary line         |

  Scenario Outline: CPaaS action logs follow the logActions options: <logs>
    When I create a cpaas client with the logs <logs> and a recording action handler
    And the client updates its configuration
    Then the action handler received an action "CONFIG_UPDATE" <details>

    Examples:
      | logs                                                                       | details                           |
      | {"logActions": {"actionOnly": true}}                                       | without payload and without state |
      | {"logActions": {"actionOnly": false, "exposePayloads": true}}              | with payload and with state       |
      | {"logActions": {"actionOnly": false, "exposePayloads": true, "diff": true}} | with payload and with a diff     |
      | {"logActions": {"collapsed": true}}                                        | collapsed into one summary line   |

  Scenario: CPaaS enableGrouping false splits an action log into one entry per detail
    When I create a cpaas client with the logs {"enableGrouping": false, "logActions": {"actionOnly": false}} and a recording action handler
    And the client updates its configuration
    Then the action handler received the action "CONFIG_UPDATE" split into one entry per detail

  Scenario: Link logActions.level sets the level of action logs
    When I create a link client with the logs {"logActions": {"level": "warn"}} and a recording action handler
    And the client updates its configuration
    Then the action handler received the action "CONFIG_UPDATE" at level warn

  Scenario: The default handler writes every message as text, objects as JSON (flatten or not)
    When I create a cpaas client with log level "debug", flatten on and the default handler
    And the client logs an object
    Then the Python log line shows the object as JSON text
