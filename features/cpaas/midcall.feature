Feature: CPaaS mid-call control
  Media changes, track replacement, DTMF, statistics, SDP handlers and bandwidth, transfer and join.

  Background:
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    And Bob is signed in to cpaas and subscribed to calls

  Scenario: Adding and removing video mid-call
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice adds video to the call
    Then Bob receives a new remote video track
    And Bob sees Alice's camera
    And Alice has the call operations ADD_MEDIA START, ADD_MEDIA UPDATE, ADD_MEDIA FINISH
    When Alice removes her video from the call
    Then Bob is told the remote video track ended
    And Bob receives "call:trackEnded" with the documented payload
    And Bob hears Alice's tone

  Scenario: replaceTrack changes the microphone seamlessly for the remote
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Bob's call is Connected
    Then Bob hears Alice's tone
    When Alice replaces her microphone with the device "mic-alice-2"
    Then Bob hears a 1200 Hz tone
    And Alice receives "call:trackReplaced" with the fields callId, newTrackId, oldTrack
    And Alice receives "call:trackReplaced" with the documented payload
    And Bob received no new track event since the call connected
    And Alice has the call operations REPLACE_TRACK START, REPLACE_TRACK FINISH

  Scenario Outline: DTMF reaches the IVR <mode>: "<tones>"
    When Alice calls <ivr> with audio
    And Alice's call is Connected
    And Alice sends the DTMF tones "<tones>"
    Then the IVR heard "<tones>" from Alice <mode>
    And Alice has the call operations SEND_DTMF START, SEND_DTMF FINISH

    Examples:
      | ivr                      | mode        | tones        |
      | ivr@example.com          | out of band | 0123456789#* |
      | ivr-inband@example.com   | in band     | 0123456789#* |
      | ivr@example.com          | out of band | 1#23         |
      | ivr-inband@example.com   | in band     | *9#0         |

  Scenario Outline: Invalid DTMF characters are refused: "<tones>"
    When Alice calls ivr@example.com with audio
    And Alice's call is Connected
    And Alice tries to send the DTMF tones "<tones>"
    Then the call fails with a BasicError whose code is "call:7"

    Examples:
      | tones |
      | 12a   |
      | 5+5   |
      | p     |

  Scenario Outline: DTMF on a call that is <state> is refused at once, the call untouched
    When Alice calls echo@example.com with audio
    And Alice's call is Connected
    And Alice <action> the call
    And Alice's call is <state>
    And Alice tries to send the DTMF tones "1"
    Then the call fails with a BasicError whose code is "call:6"
    And the BasicError message mentions "it must be Connected or Ringing"
    And Alice's call stays <state>

    Examples:
      | action | state   |
      | ends   | Ended   |
      | holds  | On Hold |

  Scenario: Call and track statistics
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    And Alice hears her own tone
    When Alice asks for the call statistics
    Then Alice receives call statistics showing sent packets
    And Alice receives "call:statsReceived" with the documented payload
    When Alice asks for the statistics of her audio track
    Then Alice receives the statistics of her audio track only

  Scenario Outline: A codec remover keeps <codec> out of what the far end receives
    Given Carol is signed in to cpaas and subscribed to calls with every codec
    And Carol removes the codecs <selectors> with an SDP handler
    When Carol calls Bob with audio
    And Bob receives the call
    Then the SDP Bob received has no <codec> codec
    When Bob answers the call
    Then Carol's call is Connected
    And Carol hears Bob's tone

    Examples:
      | selectors                                         | codec |
      | ["PCMA"]                                          | PCMA  |
      | ["opus", "G722"]                                  | opus  |
      | ["PCMU"]                                          | PCMU  |
      | [{"name": "telephone-event", "fmtpParams": ["0-16"]}] | telephone-event |

  Scenario: Bandwidth controls reach the far end as b= lines
    When Alice calls Bob with audio limited to 48 kbps and video to 400 kbps
    And Bob receives the call
    Then the SDP Bob received limits audio to 48 kbps
    And the SDP Bob received limits video to 400 kbps

  Scenario: A consultative transfer connects the two remote parties
    Given Carol is signed in to cpaas and subscribed to calls
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice holds the call
    And Alice's call is On Hold
    And Alice remembers the call with Bob
    And Alice calls Carol with audio
    And Carol receives the call
    And Carol answers the call
    And Alice's call is Connected
    And Alice holds the call
    And Alice's call is On Hold
    And Alice remembers the call with Carol
    And Alice transfers Bob to Carol
    Then Alice's calls with Bob and Carol are Ended
    And Bob's call becomes Connected again
    And Carol's call becomes Connected again
    And Bob hears Carol's tone and Carol hears Bob's tone

  Scenario: Joining two held calls makes an audio conference
    Given Carol is signed in to cpaas and subscribed to calls
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice holds the call
    And Alice's call is On Hold
    And Alice remembers the call with Bob
    And Alice calls Carol with audio
    And Carol receives the call
    And Carol answers the call
    And Alice's call is Connected
    And Alice holds the call
    And Alice's call is On Hold
    And Alice remembers the call with Carol
    And Alice joins the calls with Bob and Carol
    Then Alice's call is Connected
    And Alice's calls with Bob and Carol are Ended
    And Alice hears both Bob's and Carol's tones
    And Bob hears both Alice's and Carol's tones
    And Carol hears both Alice's and Bob's tones

  Scenario: A failed hold finishes its operation with the platform's error and the call stays connected
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And the platform answers "PUT" on "/update$" with status 500 once
    And Alice holds the call
    Then Alice's HOLD operation finishes with an error
    And Alice's call stays Connected
