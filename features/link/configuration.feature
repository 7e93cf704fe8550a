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
