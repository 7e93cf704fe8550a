Feature: Link push notifications: registration, the emulated APNs / FCM outbox, process()
  A Link user registers a device for pushes; the platform pushes the notifications of the
  registered services to the device (recorded in the outbox per token), and the app hands the
  payload to notification.process().

  Background:
    Given the platform is running

  Scenario: A user registered for iOS and Android push answers a call handed in by process()
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Apple push with VoIP token "voip-bob-1" in production
    And Bob registers for Android push with token "fcm-bob-1"
    And Bob turns websocket notifications off
    When Alice calls Bob with audio
    Then the push outbox has the incoming call for "voip-bob-1" via apns production
    And the push outbox has the incoming call for "fcm-bob-1" via fcm
    And Bob's copy of the incoming call through WEBSOCKET is ignored
    When Bob hands the Android push of the incoming call to process()
    Then Bob receives the call from Alice
    When Bob answers the call
    Then Alice's call is Connected
    And Alice hears Bob's tone and Bob hears Alice's tone
    When Bob hands the Apple push of the incoming call to process()
    Then Bob's copy of the incoming call through PUSH is dropped as a duplicate
    And Bob received the incoming call once

  Scenario: A user rung by push alone connects, processes the push and answers
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Apple push with VoIP token "voip-bob-2" in sandbox
    When Bob disconnects
    And Alice calls Bob with audio
    Then the push outbox has the incoming call for "voip-bob-2" via apns sandbox
    When Bob connects again
    And Bob hands the Apple push of the incoming call to process()
    Then Bob receives the call from Alice
    When Bob answers the call
    Then Alice's call is Connected
    When Alice ends the call
    Then Bob's call is Ended

  Scenario Outline: A token the <system> push service rejects gives the documented rejection
    Given Bob is connected to link
    When Bob tries to register for <system> push with token "reject-bob"
    Then the call fails with a BasicError whose code is "notifications:2"
    And the BasicError message mentions "<reason>"
    And the platform answered Bob's <system> registration with status 400 and statusCode 19
    And the platform has no push registration for Bob

    Examples:
      | system  | reason           |
      | Apple   | BadDeviceToken   |
      | Android | INVALID_ARGUMENT |

  Scenario: A token that expired is reported by the push service and the registration is dropped
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Android push with token "expired-fcm-bob"
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    And the push for "expired-fcm-bob" is expired
    And the platform has no push registration for Bob
    When Alice ends the call
    And Alice calls Bob with audio
    Then Bob receives the call from Alice
    And no push is sent to Bob within 2 seconds

  Scenario: After unregistering, no push is sent
    Given Alice is connected to link
    And Bob is connected to link
    And Bob registers for Apple push with VoIP token "voip-bob-3"
    And Bob registers for Android push with token "fcm-bob-3"
    When Bob unregisters from Apple push
    Then the platform has 1 push registration for Bob
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    And the push for "fcm-bob-3" is delivered
    And no push was sent to "voip-bob-3"
    And no push is sent to "voip-bob-3" within 1 seconds
    When Bob unregisters from Android push
    Then the platform has no push registration for Bob
