Feature: CPaaS contacts
  Each user keeps a personal address book on the platform; nobody else sees it.

  Background:
    Given the platform is running
    And Alice, Bob are cpaas users subscribed to "chat"

  Scenario: A contact is added with every documented field
    When Alice adds the contact "janed" with:
      | primaryContact      | jane.doe@example.com |
      | firstName           | Jane                 |
      | lastName            | Doe                  |
      | email               | jane@example.com     |
      | homePhoneNumber     | +16135550101         |
      | businessPhoneNumber | +16135550102         |
      | mobilePhoneNumber   | +16135550103         |
      | list                | family               |
      | buddy               | true                 |
    Then Alice receives "contacts:new" for the contact "janed"
    And Alice receives "contacts:new" with the documented payload
    And Alice's contact "janed" has the firstName "Jane" and the buddy flag true
    And Alice's contacts are "janed"

  Scenario: A contact without a list goes to the friends list
    When Alice adds the contact "bobby" for Bob
    Then Alice's contact "bobby" has the list "friends"

  Scenario: Updating, fetching and removing a contact
    Given Alice added the contact "bobby" for Bob
    When Alice updates the contact "bobby" with the lastName "Builder"
    Then Alice receives "contacts:change"
    And Alice's contact "bobby" has the lastName "Builder"
    When Alice fetches the contact "bobby"
    Then Alice receives "contacts:change" for the contact "bobby"
    And Alice receives "contacts:change" with the documented payload
    When Alice removes the contact "bobby"
    Then Alice receives "contacts:change"
    And Alice's contacts are ""

  Scenario: Refresh brings the platform's contacts to another device, and only the owner's
    Given Alice added the contact "bobby" for Bob
    And Alice has a second cpaas client "AlicePhone" subscribed to "chat"
    When AlicePhone refreshes the contacts
    Then AlicePhone receives "contacts:change"
    And AlicePhone's contacts are "bobby"
    When Bob refreshes the contacts
    Then Bob's contacts are ""

  Scenario: A second contact with the same id is refused
    Given Alice added the contact "bobby" for Bob
    When Alice adds the contact "bobby" for Bob
    Then Alice receives "contacts:error" with error code "SVC0005"

  Scenario: Fetching an unknown contact fails, a contact needs an id
    When Alice fetches the contact "nobody"
    Then Alice receives "contacts:error" with error code "SVC0004"
    When Alice adds a contact without a contactId
    Then the call fails with a BasicError whose code is "contacts:1"

  Scenario: Fetching one contact brings it from the platform to another device
    Given Alice added the contact "bobby" for Bob
    And Alice has a second cpaas client "AlicePhone" subscribed to "chat"
    When AlicePhone fetches the contact "bobby"
    Then AlicePhone receives "contacts:change" for the contact "bobby"
    And AlicePhone's contacts are "bobby"
    And AlicePhone's contact "bobby" has the firstName "Bob" and the buddy flag false
