Feature: Connectivity: keepalive, lost connections and reconnects
  The notification websocket is kept alive with the configured method, a silent server is
  detected after pingInterval x maxMissedPings, and reconnects follow the configured backoff.

  Background:
    Given the platform is running

  @virtual_time
  Scenario Outline: Keepalive frames are sent every ping interval
    Given Alice is connected with <product> connectivity <connectivity>
    When 95 seconds pass on the loop clock
    Then the platform received at least 3 keepalive frames "<frame>" from Alice

    Examples:
      | product | connectivity                                                                      | frame        |
      | cpaas   | {"checkConnectivity": true, "method": {"type": "pingPong"}, "pingInterval": 30000}  | connCheck    |
      | cpaas   | {"checkConnectivity": true, "method": {"type": "keepAlive"}, "pingInterval": 30000} | message_type |
      | link    | {"pingInterval": 30000}                                                           | message_type |

  @virtual_time
  Scenario Outline: Unanswered keepalives are detected after pingInterval x maxMissedPings
    Given Alice is connected with <product> connectivity <connectivity>
    When the platform stops answering Alice's keepalives for 600 seconds
    Then Alice reports the connection lost <seconds> seconds after the last answered keepalive

    Examples:
      | product | connectivity                                                                                          | seconds |
      | cpaas   | {"checkConnectivity": true, "method": {"type": "pingPong"}, "pingInterval": 30000, "maxMissedPings": 3} | 90      |
      | cpaas   | {"checkConnectivity": true, "method": {"type": "keepAlive"}, "pingInterval": 10000, "maxMissedPings": 2} | 20      |
      | link    | {"pingInterval": 20000, "maxMissedPings": 4}                                                           | 80      |

  @virtual_time
  Scenario: Server-driven connCheck: the client answers and detects a silent server
    Given Alice is connected with cpaas connectivity {"checkConnectivity": true, "method": {"type": "pingPong", "responsibleParty": "server"}, "maxMissedPings": 2}
    When 65 seconds pass on the loop clock
    Then the platform received at least 2 keepalive frames "connAck" from Alice
    When the platform stops answering Alice's keepalives for 600 seconds
    Then Alice reports the connection lost within 61 seconds

  Scenario Outline: A dropped socket is reconnected and notifications resume
    Given Alice is connected with <product> connectivity {}
    When the platform drops Alice's websocket with close code <code>
    Then Alice receives "ws:change" with state "lost"
    And Alice's websocket is connected again
    And a notification pushed to Alice reaches her client

    Examples:
      | product | code |
      | cpaas   | 1006 |
      | cpaas   | 1001 |
      | link    | 1006 |
      | link    | 4000 |

  Scenario: Notifications published while the socket is down are delivered after the reconnect
    Given Alice is connected with cpaas connectivity {"reconnectDelay": 2000}
    And the platform refuses Alice's websocket upgrades for 1 seconds
    When the platform drops Alice's websocket with close code 1006
    And a notification is pushed to Alice while she is offline
    Then Alice's websocket is connected again
    And the notification pushed while offline reaches her client

  @virtual_time
  Scenario Outline: Reconnect attempts follow the configured backoff exactly
    Given Alice is connected with <product> connectivity {"reconnectDelay": <delay>, "reconnectTimeMultiplier": <multiplier>, "reconnectTimeLimit": <limit>, "reconnectLimit": 0}
    And the platform refuses Alice's websocket upgrades for <refused> seconds
    When the platform drops Alice's websocket with close code 1006
    Then Alice's websocket is connected again within 700 seconds
    And Alice's reconnect attempts started at <offsets> seconds after the drop

    Examples:
      | product | delay | multiplier | limit  | refused | offsets                    |
      | cpaas   | 5000  | 1          | 640000 | 12      | 0, 5, 10, 15               |
      | cpaas   | 1000  | 2          | 640000 | 20      | 0, 1, 3, 7, 15, 31         |
      | cpaas   | 1000  | 2          | 4000   | 20      | 0, 1, 3, 7, 11, 15, 19, 23 |
      | link    | 2000  | 3          | 20000  | 70      | 0, 2, 8, 26, 46, 66, 86    |

  @virtual_time
  Scenario Outline: After reconnectLimit failed attempts the connection is given up
    Given Alice is connected with <product> connectivity {"reconnectDelay": 1000, "reconnectLimit": 3}
    And the platform refuses Alice's websocket upgrades for 600 seconds
    When the platform drops Alice's websocket with close code 1006
    Then Alice receives "subscription:change" with reason "LOST_CONNECTION"
    And Alice made 3 reconnect attempts

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: No reconnect when autoReconnect is off
    Given Alice is connected with <product> connectivity {"autoReconnect": false}
    When the platform drops Alice's websocket with close code 1006
    Then Alice receives "ws:change" with state "lost"
    And Alice's websocket stays disconnected

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: getSocketState reports the channel and its settings
    Given Alice is connected with <product> connectivity {"pingInterval": 15000}
    Then Alice's socket state says connected with ping interval 15000 on platform "<product>"

    Examples:
      | product |
      | cpaas   |
      | link    |

  @virtual_time
  Scenario Outline: enableConnectivityChecking(false) stops the keepalives, true resumes them
    Given Alice is connected with <product> connectivity <connectivity>
    When Alice disables connectivity checking
    And 100 seconds pass on the loop clock
    Then the platform received no keepalive frame from Alice in that time
    When Alice enables connectivity checking
    And 35 seconds pass on the loop clock
    Then the platform received at least 1 keepalive frame from Alice in that time

    Examples:
      | product | connectivity                                                         |
      | cpaas   | {"checkConnectivity": true, "method": {"type": "pingPong"}}           |
      | link    | {}                                                                   |
