Feature: Link and CallMe calls with real media
  CallMe callers call anonymously (token-less or with realm tokens); Link users place and receive
  calls once connected. Calls cross products: a CallMe caller can reach a CPaaS user.

  Background:
    Given the platform is running

  Scenario: A CallMe anonymous call reaches the echo endpoint and hears itself
    Given Carol has a callme client
    When Carol calls echo@example.com anonymously
    Then Carol's call is Connected
    And Carol hears her own tone
    When Carol ends the call
    Then Carol's call is Ended
    And Carol receives "subscription:change" with reason "CALL_ENDED"

  Scenario Outline: A CallMe caller reaches a CPaaS user <mode>
    Given Bob is signed in to cpaas and subscribed to calls
    And Carol has a callme client
    When Carol calls Bob anonymously with <tokens>
    Then Bob receives the call from Carol
    When Bob answers the call
    Then Carol's call is Connected
    And Carol hears Bob's tone and Bob hears Carol's tone
    And Carol's call object has every documented field
    When Bob ends the call
    Then Carol's call is Ended with status code 200

    Examples:
      | mode              | tokens       |
      | token-less        | no tokens    |
      | with realm tokens | realm tokens |

  Scenario: Two Link users call each other, hold and hang up
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    And Bob receives "call:receive" with the documented payload
    And Alice receives "call:start" with the documented payload
    When Bob answers the call
    Then Alice's call is Connected
    And Alice receives "call:stateChange" with the documented payload
    And Alice receives "call:newTrack" with the documented payload
    And Bob receives "call:operation" with the documented payload
    And Alice hears Bob's tone and Bob hears Alice's tone
    When Bob holds the call
    Then Bob's call is On Hold
    And Alice's call is On Hold
    And no media flows between Alice and Bob
    When Bob unholds the call
    Then Alice's call is Connected
    And Bob hears Alice's tone
    And Bob has the call operations HOLD START, HOLD UPDATE, HOLD FINISH, UNHOLD START, UNHOLD UPDATE, UNHOLD FINISH
    When Alice ends the call
    Then Bob's call is Ended

  Scenario: A Link user calls a CPaaS user
    Given Alice is connected to link
    And Bob is signed in to cpaas and subscribed to calls
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    When Bob answers the call
    Then Alice's call is Connected
    And Alice hears Bob's tone and Bob hears Alice's tone

  Scenario: A Link user rejects an incoming call
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob rejects the call
    Then Bob's call is Ended
    And Alice's call is Ended with status code 603

  Scenario: A Link user calls a busy endpoint
    Given Alice is connected to link
    When Alice calls busy@example.com with audio
    Then Alice's call is Ended with status code 486

  Scenario: make without a Link user connection is refused
    Given Alice has a link client
    And Bob is a platform user
    When Alice tries to call Bob
    Then the call fails with a BasicError whose code is "authentication:9"

  Scenario: makeAnonymous without callOptions.from reports the error on call:start
    Given Carol has a callme client
    When Carol calls echo@example.com anonymously without a from address
    Then Carol receives "call:start" with error code "call:7"

  Scenario: A Link call the platform no longer knows is ended by the next audit
    Given Alice is connected to link
    And Alice's calls are audited every 0.2 seconds
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    When the platform loses Alice's call
    Then Alice's call is Ended with status code 9909
