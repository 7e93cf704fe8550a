Feature: The wire contract
  The platform serves its own contract (OpenAPI for REST, AsyncAPI for the notification channels)
  and, with the contract on (as in this project's scenarios), validates every request, response
  and frame against it: a client's violation gets the protocol's 400, the platform's own fails the
  scenario.

  Background:
    Given the platform is running

  Scenario: A call across products with hold, and chat, follow the contract
    Given Alice is signed in to cpaas and subscribed to calls
    And Bob is connected to link
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    When Bob answers the call
    Then Alice's call is Connected
    When Alice holds the call
    Then Alice's call is On Hold
    When Alice ends the call
    Then Bob's call is Ended
    And the traffic of this scenario follows the contract

  Scenario: A CallMe anonymous call to the IVR follows the contract
    Given Carol has a callme client
    When Carol calls ivr@example.com anonymously
    Then Carol's call is Connected
    When Carol ends the call
    Then Carol's call is Ended
    And the traffic of this scenario follows the contract
