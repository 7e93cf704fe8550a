Feature: CPaaS user directory
  Users search the directory of their domain, filled with the platform's users.

  Background:
    Given the platform is running
    And the directory has these users:
      | firstName | lastName |
      | Ann       | Archer   |
      | Anna      | Baker    |
      | Bea       | Cole     |
      | Cid       | Archer   |
      | Alice     | Zander   |
    And Alice is a cpaas user subscribed to "chat"

  Scenario: Fetching one user and oneself
    When Alice fetches the directory entry of Bea
    Then Alice receives "directory:change" with the results "Bea Cole"
    And Alice receives "directory:change" with the documented payload
    And Alice's user get for Bea has the documented User fields
    When Alice fetches her own directory entry
    Then Alice receives "directory:change" with the results "Alice Zander"
    And Alice's user getAll lists Bea, Alice

  Scenario Outline: Searching by <filter>
    When Alice searches the directory for <filter> "<value>" sorted by userId
    Then Alice receives "directory:change" with the results "<results>"

    Examples:
      | filter      | value           | results                |
      | name        | archer          | Ann Archer, Cid Archer |
      | firstName   | Ann             | Ann Archer, Anna Baker |
      | lastName    | Cole            | Bea Cole               |
      | userName    | bea.cole        | Bea Cole               |
      | userId      | cid.archer@example.com | Cid Archer      |
      | phoneNumber | Bea's number    | Bea Cole               |

  Scenario: Sorting and paging
    When Alice searches the directory for name "a" sorted by lastName desc, 2 at a time
    Then Alice receives "directory:change" with the results "Alice Zander, Bea Cole" and a next page
    When Alice asks for the next page
    Then Alice receives "directory:change" with the results "Anna Baker, Cid Archer" and a next page
    When Alice asks for the next page
    Then Alice receives "directory:change" with the results "Ann Archer" and no next page

  Scenario: Buddies are marked
    Given Alice added the contact "bea" for Bea as a buddy
    When Alice searches the directory for lastName "Cole" sorted by userId
    Then Alice's user get for Bea says buddy "true"

  Scenario: Bad input is refused
    When Alice searches the directory for shoeSize "42" sorted by userId
    Then the call fails with a BasicError whose code is "users:1"
