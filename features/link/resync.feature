Feature: Link call resync on connect (call.resyncOnConnect)
  Notifications sent while a client's websocket is down can be lost. With resyncOnConnect the SDK
  asks the platform about each call after every reconnect and ends the calls that ended meanwhile.

  Background:
    Given the platform is running

  Scenario: A call ended by the far side during a socket outage is ended after the reconnect
    Given Alice is connected to link
    And Bob is connected to link with {"call": {"resyncOnConnect": true}, "connectivity": {"reconnectDelay": 300}}
    When Alice calls Bob with audio
    And Bob receives the call from Alice
    And Bob answers the call
    Then Alice's call is Connected
    When Bob's connection is cut for 1 seconds, losing the notifications meanwhile
    And Alice ends the call
    Then Alice's call is Ended
    And Bob's websocket is connected again
    And Bob's call is Ended with status code 47
    And the platform answered Bob's "GET" on "/callControl/callSessions/" with status 404

  Scenario: Without resyncOnConnect the call stays Connected after the reconnect
    Given Alice is connected to link
    And Bob is connected to link with {"connectivity": {"reconnectDelay": 300}}
    When Alice calls Bob with audio
    And Bob receives the call from Alice
    And Bob answers the call
    Then Alice's call is Connected
    When Bob's connection is cut for 1 seconds, losing the notifications meanwhile
    And Alice ends the call
    Then Alice's call is Ended
    And Bob's websocket is connected again
    And a notification pushed to Bob reaches her client
    And Bob's call stays Connected
    And the platform received no "GET" on "/callSessions/" from Bob

  Scenario: A call answered on another device during the outage is Cancelled after the reconnect
    Given Alice is connected to link
    And Bob is connected to link with {"call": {"resyncOnConnect": true}, "connectivity": {"reconnectDelay": 300}}
    And Tablet is another link device of Bob
    When Alice calls Bob with audio
    Then Bob receives the call from Alice
    And Tablet receives the call from Alice
    When Bob's connection is cut for 1 seconds, losing the notifications meanwhile
    And Tablet answers the call
    Then Alice's call is Connected
    And Bob's websocket is connected again
    And Bob's call is Cancelled
