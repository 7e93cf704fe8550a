Feature: CPaaS presence
  Users publish their presence; users who subscribed to them hear every change.

  Background:
    Given the platform is running
    And Alice, Bob, Carol are cpaas users subscribed to "presence"

  Scenario: The statuses and activities are the documented ones
    Then the presence statuses are:
      | OPEN   | Open   |
      | CLOSED | Closed |
    And the presence activities are:
      | AVAILABLE          | Available         |
      | BUSY               | Busy              |
      | LUNCH              | Lunch             |
      | VACATION           | Vacation          |
      | ON_THE_PHONE       | OnThePhone        |
      | ACTIVITIES_UNKNOWN | ActivitiesUnknown |
      | ACTIVITIES_OTHER   | ActivitiesOther   |

  Scenario Outline: Presence <status> / <activity> reaches the subscribers
    Given Bob subscribes to the presence of Alice
    When Alice updates her presence to <status> and <activity>
    Then Alice receives "presence:selfChange" with the fields userId, status
    And Alice's own presence is <status> and <activity>
    And Bob sees Alice's presence as <status> and <activity>
    And Bob receives "presence:change" with the documented payload
    And Alice receives "presence:selfChange" with the documented payload

    Examples:
      | status | activity           |
      | OPEN   | AVAILABLE          |
      | OPEN   | BUSY               |
      | OPEN   | LUNCH              |
      | CLOSED | VACATION           |
      | OPEN   | ON_THE_PHONE       |
      | CLOSED | ACTIVITIES_UNKNOWN |

  Scenario: A note goes with ACTIVITIES_OTHER
    Given Bob subscribes to the presence of Alice
    When Alice updates her presence to OPEN and ACTIVITIES_OTHER with the note "In a meeting"
    Then Bob sees Alice's presence as OPEN and ACTIVITIES_OTHER with the note "In a meeting"
    And Alice's own presence has the note "In a meeting"

  Scenario: A new subscriber learns the current presence at once
    Given Alice updated her presence to OPEN and BUSY
    When Bob subscribes to the presence of Alice
    Then Bob sees Alice's presence as OPEN and BUSY

  Scenario: Fetched presence is available with get and getAll
    Given Alice updated her presence to OPEN and LUNCH
    And Carol updated her presence to CLOSED and VACATION
    When Bob fetches the presence of Alice, Carol
    Then Bob's presence get for Alice is OPEN and LUNCH
    And Bob's presence get for Alice, Carol lists 2 users
    And Bob's presence getAll lists Alice, Carol

  Scenario: After unsubscribing no more changes arrive
    Given Bob subscribes to the presence of Alice
    And Carol subscribes to the presence of Alice
    When Bob unsubscribes from the presence of Alice
    And Alice updates her presence to OPEN and BUSY
    Then Carol sees Alice's presence as OPEN and BUSY
    And the platform sent Bob no notification since he unsubscribed
    And Bob receives no "presence:change" within 2 seconds

  Scenario: Bad input is refused
    When Alice updates her presence to "Sleeping" and AVAILABLE
    Then the call fails with a BasicError whose code is "presence:1"
    When Bob fetches the presence of "nobody@example.com"
    Then Bob receives "presence:error" with error code "SVC0004"

  Scenario: Subscribing to users needs the presence service
    Given Dave is a cpaas user subscribed to "chat"
    When Dave subscribes to the presence of Alice
    Then Dave receives "presence:error" with error code "presence:2"
