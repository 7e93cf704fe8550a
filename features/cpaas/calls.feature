Feature: CPaaS two-party calls with real media
  Calls between CPaaS users and the platform's scripted endpoints, with aiortc media that is
  checked at the far end: every user's microphone plays a tone of its own frequency.

  Background:
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    And Bob is signed in to cpaas and subscribed to calls

  Scenario: Alice calls Bob with audio and each hears the other
    When Alice calls Bob with audio
    Then Alice receives "call:start" with the fields callId
    And Bob receives the call from Alice
    And Alice receives "call:start" with the documented payload
    And Bob receives "call:receive" with the documented payload
    And Alice's call is Ringing
    When Bob answers the call
    Then Alice's call is Connected
    And Bob's call is Connected
    And Alice receives "call:stateChange" with the documented payload
    And Alice receives "call:newTrack" with the documented payload
    And Bob receives "call:operation" with the documented payload
    And Alice hears Bob's tone and Bob hears Alice's tone
    And Alice's call object has every documented field
    And Alice has the call operations MAKE START, MAKE UPDATE, MAKE FINISH
    And Bob has the call operations ANSWER START, ANSWER FINISH

  Scenario: A call rings only the one called
    Given Carol is signed in to cpaas and subscribed to calls
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    And Carol receives no call within 2 seconds

  Scenario: Hold stops media both ways and unhold restores it
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    Then Alice hears Bob's tone and Bob hears Alice's tone
    When Alice holds the call
    Then Alice's call is On Hold
    And Bob's call is On Hold
    And Alice's call shows local hold
    And Bob's call shows remote hold
    And no media flows between Alice and Bob
    When Alice unholds the call
    Then Alice's call is Connected
    And Bob's call is Connected
    And Alice hears Bob's tone and Bob hears Alice's tone
    And Alice has the call operations HOLD START, HOLD UPDATE, HOLD FINISH, UNHOLD START, UNHOLD UPDATE, UNHOLD FINISH

  Scenario: Muting a microphone gives silence at the far end
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    Then Alice hears Bob's tone
    When Bob mutes his microphone
    Then Alice hears silence from Bob
    And Bob's microphone track is muted
    When Bob unmutes his microphone
    Then Alice hears Bob's tone

  Scenario: Video calls carry each camera's picture
    When Alice calls Bob with audio and video
    And Bob receives the call
    And Bob answers the call with audio and video
    Then Alice sees Bob's camera
    And Bob sees Alice's camera
    And Alice hears Bob's tone

  Scenario: Bob rejects the call
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob rejects the call
    Then Bob's call is Ended
    And Alice's call is Ended with status code 603

  Scenario: Bob ignores the call and Alice gives up
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob ignores the call
    Then Bob's call is Ended
    And Alice's call stays Ringing
    When Alice ends the call
    Then Alice's call is Ended

  Scenario: Alice cancels before Bob answers
    When Alice calls Bob with audio
    And Bob receives the call
    And Alice ends the call
    Then Alice's call is Ended
    And Bob's call is Cancelled

  Scenario: Either side ends a connected call
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Bob's call is Connected
    And Bob ends the call
    Then Bob's call is Ended
    And Alice's call is Ended with status code 200

  Scenario Outline: Scripted endpoints behave as documented
    When Alice calls <endpoint> with audio
    Then Alice's call is <state> with status code <code>

    Examples:
      | endpoint          | state | code |
      | busy@example.com  | Ended | 486  |
      | reject@example.com| Ended | 603  |

  Scenario: Nobody answers: Alice hangs up while it rings
    When Alice calls noanswer@example.com with audio
    Then Alice's call is Ringing
    When Alice ends the call
    Then Alice's call is Ended

  Scenario: The echo endpoint returns Alice's own media
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    And Alice hears her own tone

  Scenario: A PSTN number answers with a tone
    When Alice calls +15550100700 with audio
    Then Alice's call is Connected
    And Alice hears a 700 Hz tone

  Scenario: A second call while the first is held
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice holds the call
    And Alice's call is On Hold
    And Alice calls echo@example.com with audio
    Then Alice's call is Connected
    And Alice hears her own tone
    And Bob's call is On Hold

  Scenario: Calling an unknown user ends the call with the platform's error
    When Alice calls nobody@example.com with audio
    Then Alice's call ended with an error

  Scenario Outline: Operations in the wrong state are refused
    When Alice calls Bob with audio
    And Bob receives the call
    And Alice tries to <operation> the call
    Then the call fails with a BasicError whose code is "call:6"

    Examples:
      | operation |
      | hold      |
      | unhold    |

  Scenario: A call the platform no longer knows is ended by the next audit
    Given Alice's calls are audited every 0.2 seconds
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    When the platform loses Alice's call
    Then Alice's call is Ended with status code 9909

  Scenario: Dense media for load: the tone encoded once per process is what the far end hears
    When Alice updates the configuration with {"runtime": {"denseMedia": {"verifyEvery": 1}}}
    And Bob updates the configuration with {"runtime": {"denseMedia": {"verifyEvery": 1}}}
    And Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    Then Alice hears Bob's tone and Bob hears Alice's tone
