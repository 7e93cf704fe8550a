Feature: CPaaS messaging
  Conversations with users, groups and phone numbers: messages with text, JSON and file parts,
  typing indications, the history the platform keeps, SMS with delivery status, inbound SMS.

  Background:
    Given the platform is running
    And Alice, Bob are cpaas users subscribed to "chat, smsinbound"

  Scenario: The conversation types are the documented ones
    Then the conversation chat types are:
      | ONETOONE | chat-oneToOne |
      | GROUP    | chat-group    |
      | SMS      | sms           |

  Scenario: A created conversation is announced and available
    When Alice creates a ONETOONE conversation with Bob
    Then Alice receives "conversations:new" for her ONETOONE conversation with Bob
    And Alice receives "conversations:new" with the documented payload
    And Alice's ONETOONE conversation with Bob is available with get and getAll
    And creating it again gives Alice the same conversation
    And Alice has no ONETOONE conversation with Carol

  Scenario: A message reaches the one it is sent to, and nobody else
    Given Carol is a cpaas user subscribed to "chat"
    When Alice sends "only for Bob" to Bob
    Then Bob receives the message "only for Bob" from Alice
    And Carol receives no message within 2 seconds
    And Bob receives no message from Carol within 2 seconds

  Scenario Outline: A message reaches the other side of a <type> conversation
    Given Alice has a <type> conversation with Bob
    When Alice sends "hello over <type>" in her <type> conversation with Bob
    Then Bob receives the message "hello over <type>" from Alice in a <type> conversation
    And Alice's message "hello over <type>" has delivery status "Delivered"

    Examples:
      | type     |
      | ONETOONE |
      | GROUP    |
      | SMS      |

  Scenario: Sent and received messages carry the documented fields
    When Alice sends "fields, please" to Bob
    Then Bob receives the message "fields, please" from Alice
    And Alice's message "fields, please" has the documented fields as sent by Alice
    And Bob's message "fields, please" has the documented fields as received from Alice
    And the two copies of "fields, please" have different message ids

  Scenario: A created message is announced and can be given more parts
    Given Alice creates a ONETOONE conversation with Bob
    When Alice creates a message "with parts" for Bob
    Then Alice receives "messages:change" for her ONETOONE conversation with Bob
    And Alice receives "messages:change" with the documented payload
    When Alice adds a JSON part {"order": 42, "items": ["tea", "milk"]} to the message
    And Alice adds a file part "notes.bin" of 200000 random bytes to the message
    And Alice sends the message
    Then Bob receives the message "with parts" from Alice
    And Bob's message "with parts" has a JSON part {"order": 42, "items": ["tea", "milk"]}
    When Bob creates the image links of the message "with parts"
    Then Bob's file "notes.bin" has the content Alice sent

  Scenario: Typing indications reach the other side
    Given Alice creates a ONETOONE conversation with Bob
    When Alice starts typing to Bob
    Then Alice receives "isTypingList:change" with state "active"
    And Alice receives "isTypingList:change" with the documented payload
    And Bob sees Alice typing in his conversation with her
    When Alice stops typing to Bob
    Then Bob sees nobody typing in his conversation with Alice

  Scenario: Conversations and their history are fetched from the platform
    When Alice sends "one, two, three" to Bob one by one
    And Bob fetches his ONETOONE conversations
    Then Bob receives "conversations:change" listing his ONETOONE conversation with Alice
    And Bob receives "conversations:change" with the documented payload
    When Bob fetches the messages of his conversation with Alice
    Then Bob's conversation with Alice has the messages "one, two, three" in this order
    When Bob fetches the last 2 messages of his conversation with Alice
    Then Bob's conversation with Alice has the messages "two, three" in this order

  Scenario: Nothing is lost while the recipient is offline
    Given Alice sends "before" to Bob
    And Bob receives the message "before" from Alice
    When Bob goes offline
    And Alice sends "while away 1, while away 2" to Bob one by one
    Then the platform holds 2 notifications for Bob
    When Bob comes back online
    Then Bob receives the messages "while away 1, while away 2" from Alice in this order
    When Bob fetches the messages of his conversation with Alice
    Then Bob's conversation with Alice has the messages "before, while away 1, while away 2" in this order

  Scenario: Deleting messages and conversations only touches one's own copy
    Given Alice sends "one, two" to Bob one by one
    And Bob receives the message "two" from Alice
    When Alice deletes her message "one"
    Then Alice's conversation with Bob has the messages "two" in this order
    When Alice fetches the messages of her conversation with Bob
    Then Alice's conversation with Bob has the messages "two" in this order
    When Alice clears the messages of her conversation with Bob
    Then Alice receives "messages:change" for her ONETOONE conversation with Bob
    And Alice's conversation with Bob has no messages
    When Alice deletes her conversation with Bob
    Then Alice receives "messages:change" for her ONETOONE conversation with Bob
    And Alice has no ONETOONE conversation with Bob
    When Bob fetches the messages of his conversation with Alice
    Then Bob's conversation with Alice has the messages "one, two" in this order

  Scenario: Deleting a conversation deletes it on the platform, for the owner's other devices too
    Given Alice sends "hello" to Bob
    And Bob receives the message "hello" from Alice
    And Alice has a second cpaas client "AlicePhone" subscribed to "chat"
    When Alice deletes her conversation with Bob
    Then Alice has no ONETOONE conversation with Bob
    When AlicePhone fetches her ONETOONE conversations
    Then AlicePhone receives "conversations:change"
    And AlicePhone has no ONETOONE conversation with Bob
    When Bob fetches his ONETOONE conversations
    Then Bob receives "conversations:change" listing his ONETOONE conversation with Alice

  Scenario: A conversation subscriber hears of every change until it unsubscribes
    Given Alice sends "first" to Bob
    And Bob receives the message "first" from Alice
    When Bob subscribes to his conversation with Alice
    And Alice sends "second" to Bob
    Then Bob's subscriber was told about the message "second" in his conversation with Alice
    When Bob unsubscribes from his conversation with Alice
    And Alice sends "third" to Bob
    Then Bob receives the message "third" from Alice
    And Bob's subscriber was not told about the message "third"

  Scenario: The document's "messages:changed" spelling is the same event
    Given Alice listens to "messages:changed"
    When Alice sends "spelling" to Bob
    Then Alice's "messages:changed" listener was called for her conversation with Bob
    And Alice receives "messages:changed" with the documented payload

  Scenario Outline: An SMS to a phone number outside the platform gets a delivery status
    When Alice sends the SMS "<text>" to "<number>"
    Then Alice's message "<text>" has delivery status "<status>"
    And the platform's SMS outbox <outbox> "<text>" to "<number>"

    Examples:
      | number       | text           | status    | outbox             |
      | +15551234567 | reach me       | Delivered | has                |
      | +19995550100 | never arrives  | Failed    | does not have      |

  Scenario: An SMS from the outside world arrives in an SMS conversation
    When the platform delivers the SMS "hi from outside" from "+15557654321" to Alice
    Then Alice receives the SMS "hi from outside" from "+15557654321"
    When Alice fetches her SMS conversations
    Then Alice receives "conversations:change" listing her SMS conversation with "+15557654321"
    When Alice fetches the messages of her SMS conversation with "+15557654321"
    Then Alice's SMS conversation with "+15557654321" has the messages "hi from outside" in this order

  Scenario: Bad input is refused with a BasicError
    When Alice creates a message with the part {"type": "video"} for Bob
    Then the call fails with a BasicError whose code is "messaging:2"
    When Alice creates a conversation of type "fax" with Bob
    Then the call fails with a BasicError whose code is "messaging:2"
    When Alice sends a message with only a JSON part to Bob
    Then the call fails with a BasicError whose code is "messaging:2"

  Scenario: A message to an unknown user fails with the platform's error
    When Alice sends "anyone there?" to "nobody@example.com"
    Then Alice receives "messages:change" with error code "SVC0004"
    And Alice's message "anyone there?" has delivery status "Failed"
