Feature: Calls under real network conditions
  Media relayed through the platform's TURN relay, or sent to its scripted endpoints, meets the
  network the scenario gives each user (loss, blackouts, profiles); call quality is measured from
  getStats (E-model MOS) and from what was played (gaps).

  Background:
    Given the platform is running

  # The media path and the notification channel are independent: the SDK reconnects its channel
  # (connectivity.autoReconnect) while the call's ICE consent survives the blackout.
  Scenario: A relayed call survives a 5 s blackout and a channel reconnect, and its media comes back
    Given Alice is signed in to cpaas and subscribed to calls
    And Bob is connected to link
    And Alice relays her calls through the platform
    And Bob relays his calls through the platform over tcp
    And Bob's network is 4G
    When Alice calls Bob with audio
    And Bob receives the call from Alice
    And Bob answers the call
    Then Alice hears Bob's tone
    And Bob hears Alice's tone with at most 10 % gaps
    And Alice's media goes through the relay
    When Alice's network blacks out for 5 s
    And the platform drops Alice's websocket with close code 1006
    Then no media flows between Alice and Bob
    And Alice's websocket is connected again
    And Alice's call stays Connected
    And Alice and Bob hear each other again with at most 10 % gaps
    And Alice's audio MOS is at least 4
    And Bob's call is Connected

  Scenario: DTMF, hold and unhold work under 5 % packet loss
    Given Alice is signed in to cpaas and subscribed to calls
    When Alice calls ivr@example.com with audio
    And Alice's call is Connected
    Then Alice hears a 450 Hz tone
    When Alice's network loses 5 % of packets
    And Alice sends the DTMF tones "1#23"
    Then the IVR heard "1#23" from Alice out of band
    When Alice holds the call
    Then Alice's call is On Hold
    When Alice unholds the call
    Then Alice's call is Connected
    And Alice hears a 450 Hz tone with at most 15 % gaps
    And Alice's audio MOS is at least 3.2
