Feature: CPaaS configuration keys take effect
  Each key that changes behaviour has a scenario that fails when the key is ignored (issue 14;
  make knockout ignores each key in turn to check).

  Background:
    Given the platform is running

  Scenario: H264 is kept out of the offer unless call.removeH264Codecs is false
    Given Carol is signed in to cpaas and subscribed to calls with every codec
    And Bob is signed in to cpaas and subscribed to calls
    When Carol calls Bob with audio and video
    And Bob receives the call
    Then the SDP Bob received has no H264 codec
    When Carol ends the call
    And Carol updates the configuration with {"call": {"removeH264Codecs": false}}
    And Carol calls Bob with audio and video
    And Bob receives the call
    Then the SDP Bob received offers the H264 codec

  Scenario: A call relayed through the TURN server call.iceServers names
    Given Alice is signed in to cpaas and subscribed to calls, relaying her media through the platform's TURN server
    And Bob is signed in to cpaas and subscribed to calls, relaying his media through the platform's TURN server
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    Then Alice's call is Connected
    And Alice hears Bob's tone and Bob hears Alice's tone
    And Alice's media went through the platform's TURN server

  Scenario: The SDP handlers of call.sdpHandlers change every call's SDP
    Given Carol is signed in to cpaas and subscribed to calls with every codec, removing the codecs ["PCMA"] with call.sdpHandlers
    And Bob is signed in to cpaas and subscribed to calls
    When Carol calls Bob with audio
    And Bob receives the call
    Then the SDP Bob received has no PCMA codec
    And the SDP Bob received offers the PCMU codec

  Scenario Outline: notifications.idCacheLength <length> <what>
    Given Alice has a cpaas client
    And Alice signs in
    And Alice subscribed to the services "chat"
    And the platform delivers every notification to Alice twice
    When Alice updates the configuration with {"notifications": {"idCacheLength": <length>}}
    And the platform sends Alice a notification
    Then Alice's client <what>

    Examples:
      | length | what                                  |
      | 0      | takes both copies of it               |
      | 10     | drops its second copy as a duplicate  |
