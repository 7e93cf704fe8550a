Feature: The platform over TLS
  With TLS the platform serves https and wss with a certificate from a throw-away CA; clients that
  trust the CA work exactly as over plain HTTP.

  Background:
    Given the platform is running with TLS

  Scenario: A CPaaS user subscribes and calls over https and wss
    Given Alice is signed in to cpaas and subscribed to calls
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    And Alice hears her own tone

  Scenario: A Link user connects over https and wss
    Given Bob is connected to link
    Then Bob's websocket is connected
