Feature: CPaaS service subscriptions
  services.subscribe creates the notification channel, opens its websocket and subscribes each
  service; unsubscribing the last service closes the socket and deletes the channel.

  Background:
    Given the platform is running
    And Alice has a cpaas client
    And Alice signs in

  Scenario: Subscribing to every service
    When Alice subscribes to the services "call, chat, presence, smsinbound"
    Then Alice's subscriptions are "call, chat, presence, smsinbound"
    And the available services are "call, chat, presence, smsinbound"
    And Alice's websocket is connected
    And the platform received "POST" on "/notificationchannel/v1/.*/channels$" from Alice
    And the platform received "POST" on "/webrtcsignaling/v1/.*/turn$" from Alice
    And Alice has TURN credentials from the platform

  Scenario: Unknown services are ignored, none valid is an error
    When Alice subscribes to the services "fax, telegraph"
    Then Alice receives "subscription:error" with error code "subscription:1"
    And Alice's websocket is not connected

  Scenario: Unsubscribing the last service deletes the channel
    Given Alice subscribed to the services "chat, presence"
    When Alice unsubscribes from the services "chat"
    Then Alice's subscriptions are "presence"
    And Alice's websocket is connected
    When Alice unsubscribes from the services "presence"
    Then Alice's subscriptions are ""
    And Alice's websocket is not connected
    And the platform received "DELETE" on "/notificationchannel/v1/.*/channels/ws-.*" from Alice
    And the platform has no notification channel for Alice

  Scenario: A failed channel creation is reported with its error
    Given the platform answers "POST" on "/notificationchannel/" with status 503 once
    When Alice subscribes to the services "chat"
    Then Alice receives "subscription:error" with error code "SVC0001"
    And Alice's subscriptions are ""

  Scenario: A failed service subscription is reported and the others succeed
    Given the platform answers "POST" on "/chat/v1/.*/subscriptions" with status 400 once
    When Alice subscribes to the services "chat, call"
    Then Alice receives "subscription:error" for the service "chat"
    And Alice's subscriptions are "call"

  Scenario: Subscribing before setTokens is an error
    Given Bob has a cpaas client
    When Bob subscribes to the services "chat"
    Then Bob receives "subscription:error" with error code "subscription:7"
