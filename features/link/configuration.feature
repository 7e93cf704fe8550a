Feature: Link configuration keys take effect
  Each key that changes behaviour has a scenario that fails when the key is ignored (issue 14;
  make knockout ignores each key in turn to check).

  Background:
    Given the platform is running

  Scenario: With call.mediaBrokerOnly a broker's request for a fresh offer keeps the media session
    Given Bob is connected to link with {"call": {"mediaBrokerOnly": true}}
    When Bob calls echo@example.com with audio
    Then Bob's call is Connected
    And Bob hears his own tone
    When the platform asks Bob for a fresh offer, as a media broker re-anchoring the call does
    Then Bob's fresh offer keeps his media session
    And Bob hears his own tone

  Scenario: Without call.mediaBrokerOnly a request for a fresh offer starts a new media session
    Given Bob is connected to link
    When Bob calls echo@example.com with audio
    Then Bob's call is Connected
    When the platform asks Bob for a fresh offer, as a media broker re-anchoring the call does
    Then Bob's fresh offer replaces his media session

  Scenario: H264 is kept out of the offer unless call.removeH264Codecs is false
    Given Alice is connected to link with {"runtime": {"codecs": null}}
    And Bob is connected to link
    When Alice calls Bob with audio and video
    And Bob receives the call
    Then the SDP Bob received has no H264 codec
    When Alice ends the call
    And Alice updates the configuration with {"call": {"removeH264Codecs": false}}
    And Alice calls Bob with audio and video
    And Bob receives the call
    Then the SDP Bob received offers the H264 codec

  Scenario: A call relayed through the TURN server call.iceServers names
    Given Alice is connected to link, relaying her media through the platform's TURN server
    And Bob is connected to link, relaying his media through the platform's TURN server
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    Then Alice's call is Connected
    And Alice hears Bob's tone and Bob hears Alice's tone
    And Bob's media went through the platform's TURN server

  Scenario: TURN credentials from the subscription are used unless call.serverTurnCredentials is false
    Given Alice is connected to link
    And Bob is connected to link with {"call": {"serverTurnCredentials": false}}
    Then Alice has TURN credentials from the platform
    And Bob has no TURN credentials

  Scenario: The subscription asks for the services authentication.subscription.service names
    Given Bob is connected to link with {"authentication": {"subscription": {"service": ["call", "IM"]}}}
    Then the platform received "POST" on "/rest/version/1/user/.*/subscription$" from Bob with service ["call","IM"]

  Scenario: The websocket goes to authentication.websocket.server, not to the subscription server
    Given Bob has a link client with {"authentication": {"websocket": {"server": "127.0.0.2"}}, "connectivity": {"reconnectDelay": 100}}
    When Bob tries to connect
    Then the connection failed
    And the platform has no websocket for Bob

  Scenario Outline: With connectivity.webSocketOAuthMode <mode> the bearer token is <where> the websocket URL
    Given Bob has a link client with {"connectivity": {"webSocketOAuthMode": "<mode>"}}
    When Bob connects with bearer credentials
    Then the platform opened Bob's websocket <where> the access_token query parameter

    Examples:
      | mode  | where   |
      | query | with    |
      | none  | without |

  @virtual_time
  Scenario: With connectivity.checkConnectivity false no keepalive is sent
    Given Alice is connected with link connectivity {"checkConnectivity": false, "pingInterval": 30000}
    When 100 seconds pass on the loop clock
    Then the platform received no keepalive frame from Alice in that time

  Scenario: Push registrations use the notifications.pushRegistration version
    Given Bob is connected to link with {"notifications": {"pushRegistration": {"version": 2}}}
    When Bob registers for Android push with token "fcm-bob-v2"
    Then the platform received "POST" on "/rest/version/2/user/.*/push/.*" from Bob

  Scenario Outline: Push registrations go where notifications.pushRegistration.<key> says
    Given Bob is connected to link with {"notifications": {"pushRegistration": {"<key>": <value>}}}
    When Bob tries to register for Android push with token "fcm-bob-elsewhere"
    Then the registration failed
    And the platform has no push registration for Bob

    Examples:
      | key      | value       |
      | server   | "127.0.0.2" |
      | port     | 9           |
      | protocol | "https"     |

  Scenario: The SDP handlers of call.sdpHandlers change every call's SDP
    Given Alice is connected to link with every codec, removing the codecs ["PCMA"] with call.sdpHandlers
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    Then the SDP Bob received has no PCMA codec
    And the SDP Bob received offers the PCMU codec

  Scenario Outline: notifications.idCacheLength <length> <what>
    Given Alice is connected to link with {"notifications": {"idCacheLength": <length>}}
    And the platform delivers every notification to Alice twice
    When the platform sends Alice a notification
    Then Alice's client <what>

    Examples:
      | length | what                                  |
      | 0      | takes both copies of it               |
      | 10     | drops its second copy as a duplicate  |

  Scenario: Candidate collection waits at most call.maxIceTimeout
    Given Carol has a callme client whose STUN server never answers, with {"maxIceTimeout": 400, "iceCollectionDelay": 100}
    When Carol calls echo@example.com anonymously
    Then Carol's call is Connected
    And Carol's candidate collection for the call ended by timeout within 2500 ms

  Scenario: iceCollectionCheck, run every call.iceCollectionDelay, ends the collection when satisfied
    Given Carol has a callme client whose STUN server never answers, with {"maxIceTimeout": 2000, "iceCollectionDelay": 100} and an iceCollectionCheck satisfied at its third call
    When Carol calls echo@example.com anonymously
    Then Carol's call is Connected
    And Carol's candidate collection for the call ended by check within 2000 ms
