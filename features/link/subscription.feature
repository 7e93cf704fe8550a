Feature: Link and CallMe subscriptions
  CallMe subscribes anonymously (token-less, or with realm tokens); a Link user subscribes with
  credentials. The subscription is refreshed before it expires and its websocket is kept alive.

  Background:
    Given the platform is running
    And Bob is a platform user

  Scenario: Token-less anonymous subscription
    Given Carol has a link client without a platform user
    When Carol subscribes anonymously to call Bob
    Then Carol's websocket is connected
    And Carol has TURN credentials from the platform
    And the platform received "POST" on "/rest/version/1/anonymous/.*/subscription$" from Carol

  Scenario: Token-mode anonymous subscription with realm tokens
    Given Carol has a link client without a platform user
    When Carol subscribes anonymously to call Bob with realm tokens
    Then Carol's websocket is connected
    And the platform received a "tokenrealm" query on the anonymous subscription

  Scenario: Expired realm tokens are refused
    Given Carol has a link client without a platform user
    When Carol subscribes anonymously to call Bob with realm tokens issued 2 hours ago
    Then the call fails with a BasicError whose code is 4

  Scenario: Calling an unknown account anonymously is refused
    Given Carol has a link client without a platform user
    When Carol subscribes anonymously to call "nobody@example.com"
    Then the call fails with a BasicError whose code is 47

  @virtual_time
  Scenario: The subscription is refreshed before it expires
    Given Carol has a link client without a platform user
    When Carol subscribes anonymously to call Bob
    And 1900 seconds pass
    Then the platform received "PUT" on "/rest/version/1/anonymous/.*/subscription/sub-.*" from Carol
    And Carol receives "auth:resub" with isFailure false

  Scenario: Unsubscribing deletes the subscription and closes the socket
    Given Carol has a link client without a platform user
    And Carol subscribed anonymously to call Bob
    When Carol unsubscribes
    Then Carol's websocket is not connected
    And the platform received "DELETE" on "/rest/version/1/anonymous/.*/subscription/sub-.*" from Carol

  Scenario Outline: A Link user connects with <kind> credentials
    Given Bob has a link client
    When Bob connects with <kind> credentials
    Then Bob's websocket is connected
    And Bob receives "auth:change"
    And Bob's user info has his user name

    Examples:
      | kind   |
      | basic  |
      | bearer |

  Scenario: Wrong credentials are refused with the platform's status code
    Given Bob has a link client
    When Bob connects with a wrong password
    Then the call fails with a BasicError whose code is 4
    And Bob receives "auth:error"
