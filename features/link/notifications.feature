Feature: Link notification channels: de-duplication, the websocket switch, push-channel-only
  Notifications from the websocket and from notification.process() meet in one queue: an event
  id seen on one channel is dropped on the other.

  Background:
    Given the platform is running

  Scenario: The same incoming call through the websocket and then a push gives one call:receive
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Apple push with VoIP token "voip-bob-4"
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    When Bob hands the Apple push of the incoming call to process()
    Then Bob's copy of the incoming call through PUSH is dropped as a duplicate
    And Bob received the incoming call once

  Scenario: The same incoming call through a push and then the websocket gives one call:receive
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Android push with token "fcm-bob-4"
    And the platform delays notifications to Bob by 800 ms
    When Alice calls Bob with audio
    And Bob hands the Android push of the incoming call to process()
    Then Bob receives the call from Alice
    And Bob's copy of the incoming call through WEBSOCKET is dropped as a duplicate
    And Bob received the incoming call once

  Scenario: With push-channel-only an incoming call is only taken from process()
    Given Alice is connected to link
    And Bob is connected to link with {"notifications": {"incomingCallNotificationMode": "push-channel-only"}}
    And Bob registers for Android push with token "fcm-bob-5"
    When Alice calls Bob with audio
    Then Bob's copy of the incoming call through WEBSOCKET is ignored by configuration
    And Bob has no call
    When Bob hands the Android push of the incoming call to process()
    Then Bob receives the call from Alice
    When Bob answers the call
    Then Alice's call is Connected
    When Alice ends the call
    Then Bob's call is Ended

  Scenario: enableWebsocket(false) ignores websocket notifications until enableWebsocket(true), across reconnects
    Given Bob is connected to link with {"connectivity": {"reconnectDelay": 200}}
    When Bob turns websocket notifications off
    Then Bob is told the websocket channel is off
    And a notification sent to Bob on the websocket is ignored
    When the platform drops Bob's websocket with close code 1006
    Then Bob's websocket is connected again
    And a notification sent to Bob on the websocket is ignored
    When Bob turns websocket notifications on
    Then Bob is told the websocket channel is on
    And a notification pushed to Bob reaches her client
