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

  Scenario: With call.serverTurnCredentials false the SDK asks for no TURN credentials
    When Alice updates the configuration with {"call": {"serverTurnCredentials": false}}
    And Alice subscribes to the services "call"
    Then Alice's subscriptions are "call"
    And the platform received no "POST" on "/webrtcsignaling/v1/.*/turn$" from Alice
    And Alice has no TURN credentials

  Scenario: The channel asks for the configured subscription.channelLifetime
    When Alice updates the configuration with {"subscription": {"channelLifetime": 600}}
    And Alice subscribes to the services "chat"
    Then the platform received "POST" on "/notificationchannel/v1/.*/channels$" from Alice with channelLifetime 600

  Scenario: A service that answers later than subscription.timeout is reported as failed
    Given the platform delays "POST" on "/chat/v1/.*/subscriptions$" by 3000 ms
    When Alice updates the configuration with {"subscription": {"timeout": 1}}
    And Alice subscribes to the services "chat"
    Then Alice receives "subscription:error" with error code "subscription:4"
    And Alice's subscriptions are ""

  Scenario: The channel request carries the configured authentication.clientCorrelator
    When Alice updates the configuration with {"authentication": {"clientCorrelator": "shop-42"}}
    And Alice subscribes to the services "chat"
    Then the platform received "POST" on "/notificationchannel/v1/.*/channels$" from Alice with clientCorrelator "shop-42"

  Scenario: Requests use the configured authentication.server.version
    When Alice updates the configuration with {"authentication": {"server": {"version": "v2"}}}
    And Alice subscribes to the services "chat"
    Then the platform received "POST" on "/cpaas/notificationchannel/v2/.*/channels$" from Alice
