Feature: Platform error bodies
  Bad input gets the protocol's error body with a 4xx status, never a 500 or a hang.

  Background:
    Given the platform is running
    And Alice is a platform user
    And Bob is a platform user

  Scenario Outline: CPaaS requests with bad input
    When <who> sends <method> "<path>" with <body> using <token>
    Then the response status is <status>
    And the response is a CPaaS <exception> with message id "<message id>"

    Examples:
      | who   | method | path                                                      | body                        | token            | status | exception        | message id |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | malformed JSON              | Alice's token    | 400    | serviceException | SVC0002    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | {"notificationChannel": {}} | Alice's token    | 400    | serviceException | SVC0002    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | {"other": 1}                | Alice's token    | 400    | serviceException | SVC0002    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{bob}/channels              | a valid channel request     | Alice's token    | 403    | policyException  | POL0002    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | a valid channel request     | no token         | 401    | policyException  | POL0001    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | a valid channel request     | a forged token   | 401    | policyException  | POL0001    |
      | Alice | POST   | /cpaas/notificationchannel/v1/{alice}/channels            | a valid channel request     | an expired token | 401    | policyException  | POL0001    |
      | Alice | DELETE | /cpaas/notificationchannel/v1/{alice}/channels/ws-missing | nothing                     | Alice's token    | 404    | serviceException | SVC0004    |
      | Alice | POST   | /cpaas/chat/v1/{alice}/subscriptions                      | a subscription to nowhere   | Alice's token    | 400    | serviceException | SVC0002    |
      | Alice | GET    | /cpaas/nothing/v1/{alice}/here                            | nothing                     | Alice's token    | 404    | serviceException | SVC0004    |

  Scenario Outline: Link requests with bad input
    When Carol sends <method> "<path>" with <body> using <credentials>
    Then the response status is <status>
    And the response is a Link error with status code <code>

    Examples:
      | method | path                                                    | body                           | credentials          | status | code |
      | POST   | /rest/version/1/anonymous/{bob}/subscription            | malformed JSON                 | no credentials       | 400    | 5    |
      | POST   | /rest/version/1/anonymous/{bob}/subscription            | {"subscribeRequest": {}}       | no credentials       | 400    | 5    |
      | POST   | /rest/version/1/anonymous/nobody@example.com/subscription | a valid subscribe request    | no credentials       | 404    | 47   |
      | POST   | /rest/version/1/user/{bob}/subscription                 | a valid subscribe request      | Alice's password     | 401    | 4    |
      | POST   | /rest/version/1/user/{bob}/subscription                 | a valid subscribe request      | Alice's basic login  | 403    | 6    |
      | DELETE | /rest/version/1/anonymous/{bob}/subscription/sub-none   | nothing                        | no credentials       | 404    | 47   |

  Scenario: The token endpoint answers OAuth errors
    When someone asks for a token with a wrong password for Alice
    Then the response status is 401
    And the response is an OAuth error "invalid_grant"

  Scenario: The control plane validates fault rules
    When someone adds a fault of kind "meteor_strike"
    Then the response status is 400
    When someone adds a fault of kind "latency" lasting 99999 seconds
    Then the response status is 400

  Scenario: Every request of a scenario is in the journal
    Given Alice has a cpaas client
    And Alice signs in
    When Alice subscribes to the services "chat"
    Then the platform journal lists Alice's requests with their statuses, none of them 500
