Feature: Events API
  Listeners are added with on/subscribe and removed with off/unsubscribe. Unknown event types
  and non-function listeners throw, as documented.

  Background:
    Given the platform is running

  Scenario Outline: Listening to an event type the product does not have throws
    Given Alice has a <product> client
    When Alice calls on with the event type "<type>"
    Then the call fails with a BasicError whose message is "Invalid event type: <type>"

    Examples:
      | product | type               |
      | cpaas   | dummy:event        |
      | cpaas   | call:accepted      |
      | cpaas   | devices:error      |
      | link    | presence:change    |
      | link    | dummy:event        |

  Scenario Outline: off with an unknown event type throws too
    Given Alice has a <product> client
    When Alice calls off with the event type "nothing:here"
    Then the call fails with a BasicError whose message is "Invalid event type: nothing:here"

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: subscribe and unsubscribe refuse a listener that is not a function
    Given Alice has a <product> client
    When Alice calls <method> with a listener that is not a function
    Then the call fails with a BasicError whose message is "Listener not a function"

    Examples:
      | product | method      |
      | cpaas   | subscribe   |
      | cpaas   | unsubscribe |
      | link    | subscribe   |
      | link    | unsubscribe |

  Scenario: Sync, async and global listeners all receive an event; a failing one does not stop the others
    Given Alice has a cpaas client
    And Alice listens to "subscription:change" with a listener that raises
    And Alice listens to "subscription:change" with a sync listener
    And Alice listens to "subscription:change" with an async listener
    And Alice adds a global listener
    When Alice signs in
    And Alice subscribes to the services "chat"
    Then the sync, async and global listeners each received "subscription:change"
    And an ERROR log mentions "Listener for 'subscription:change' raised"

  Scenario Outline: A listener added with on receives its event until it is removed with off (<product>)
    Given Alice has a <product> client
    And Alice listens to "devices:change" with a sync listener
    When a microphone "usb-mic" playing 500 Hz is plugged into Alice's machine
    Then the sync listener received "devices:change"
    When Alice removes that listener with off
    And a microphone "usb-mic-2" playing 600 Hz is plugged into Alice's machine
    Then the sync listener received nothing more

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: A global listener receives every event until it is removed with unsubscribe (<product>)
    Given Alice has a <product> client
    And Alice adds a global listener
    When a microphone "usb-mic" playing 500 Hz is plugged into Alice's machine
    Then the global listener received "devices:change"
    When Alice removes the global listener with unsubscribe
    And a microphone "usb-mic-2" playing 600 Hz is plugged into Alice's machine
    Then the global listener received nothing more

    Examples:
      | product |
      | cpaas   |
      | link    |
