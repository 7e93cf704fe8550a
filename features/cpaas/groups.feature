Feature: CPaaS groups
  Groups are created by their administrator, who invites participants; participants accept,
  reject or leave; only the administrator adds, removes or deletes. Every participant's client
  hears of it.

  Background:
    Given the platform is running
    And Alice, Bob, Carol are cpaas users subscribed to "chat"

  Scenario: Creating a group invites its participants
    When Alice creates the group "Team" with Bob, Carol, subject "Release planning" and image "https://example.com/team.png"
    Then Alice receives "group:new" for the group "Team"
    And Bob receives an invitation to the group "Team" from Alice
    And Carol receives an invitation to the group "Team" from Alice
    And Alice receives "group:new" with the documented payload
    And Carol receives "group:invitation_received" with the documented payload
    And Bob's invitations list the group "Team"
    And Alice's group "Team" has the name "Team", subject "Release planning" and image "https://example.com/team.png"
    And Alice's groups list the group "Team"
    And the participants of Alice's group "Team" are Alice, Bob, Carol
    And Alice is the administrator of the group "Team"

  Scenario: Accepting and rejecting invitations
    Given Alice created the group "Team" with Bob, Carol
    When Bob accepts the invitation to the group "Team"
    Then Bob receives "group:change" for the group "Team"
    And Bob receives "group:change" with the documented payload
    And Bob's groups list the group "Team"
    And Bob's invitations do not list the group "Team"
    And Alice sees Bob as "Connected" in the group "Team"
    When Carol rejects the invitation to the group "Team"
    Then Carol receives "group:change" for the group "Team"
    And Carol's invitations do not list the group "Team"
    And Alice no longer sees Carol in the group "Team"

  Scenario: A participant leaves
    Given Alice created the group "Team" with Bob, Carol
    And Bob accepted the invitation to the group "Team"
    When Bob leaves the group "Team"
    Then Bob receives "group:change" for the group "Team"
    And Bob's groups do not list the group "Team"
    And Alice no longer sees Bob in the group "Team"

  Scenario: The administrator adds and removes participants
    Given Dave is a cpaas user subscribed to "chat"
    And Alice created the group "Team" with Bob
    And Bob accepted the invitation to the group "Team"
    When Alice adds Dave to the group "Team"
    Then Alice receives "group:change" for the group "Team"
    And Dave receives an invitation to the group "Team" from Alice
    And Bob sees Dave as "Invited" in the group "Team"
    When Alice removes Bob from the group "Team"
    Then Alice receives "group:change" for the group "Team"
    And Bob receives "group:delete" for the group "Team"
    And Bob receives "group:delete" with the documented payload
    And Alice no longer sees Bob in the group "Team"

  Scenario Outline: Only the administrator may <operation>
    Given Alice created the group "Team" with Bob, Carol
    And Bob accepted the invitation to the group "Team"
    When Bob tries to <operation> the group "Team"
    Then Bob receives "<event>" with error code "POL0002"
    And Alice's groups list the group "Team"

    Examples:
      | operation          | event        |
      | add Dave to        | group:change |
      | remove Carol from  | group:change |
      | delete             | group:delete |

  Scenario: Deleting a group tells every participant
    Given Alice created the group "Team" with Bob, Carol
    And Bob accepted the invitation to the group "Team"
    When Alice deletes the group "Team"
    Then Alice receives "group:delete" for the group "Team"
    And Bob receives "group:delete" for the group "Team"
    And Carol receives "group:delete" for the group "Team"
    And Alice's groups do not list the group "Team"
    And Carol's invitations do not list the group "Team"

  Scenario: Groups are fetched from the platform
    Given Alice created the group "Team" with Bob
    And Bob accepted the invitation to the group "Team"
    And Alice created the group "Book club" with Carol
    And Bob has a second cpaas client "BobPhone" subscribed to "chat"
    When BobPhone fetches the groups
    Then BobPhone receives "group:refresh"
    And BobPhone receives "group:refresh" with the documented payload
    And BobPhone's groups list the group "Team"
    And BobPhone's groups do not list the group "Book club"
    When Carol fetches the groups
    Then Carol's invitations list the group "Book club"

  Scenario: Group chat reaches every connected participant
    Given Alice created the group "Team" with Bob, Carol
    And Bob accepted the invitation to the group "Team"
    And Carol accepted the invitation to the group "Team"
    When Alice sends "hello team" in the group "Team"
    Then Bob receives the message "hello team" from Alice in the group "Team"
    And Carol receives the message "hello team" from Alice in the group "Team"
    When Carol sends "hi all" in the group "Team"
    Then Alice receives the message "hi all" from Carol in the group "Team"

  Scenario: A group needs a name
    When Alice creates a group without a name
    Then the call fails with a BasicError whose code is "groups:3"
