Feature: Link mid-call control
  Basic video, custom parameters, early media, codecs, SDP handlers, DSCP, and the v3.X APIs.

  Background:
    Given the platform is running

  Scenario: startVideo and stopVideo on a Link call
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice starts video
    Then Bob receives a new remote video track
    And Bob sees Alice's camera
    When Alice stops video
    Then Bob is told the remote video track ended
    And Bob receives "call:trackEnded" with the documented payload
    And Alice has the call operations ADD_BASIC_MEDIA START, ADD_BASIC_MEDIA FINISH, REMOVE_BASIC_MEDIA START, REMOVE_BASIC_MEDIA FINISH

  Scenario: Custom parameters travel with the call and on demand
    Given Carol has a callme client
    When Carol calls headers@example.com anonymously with the custom parameter X-GPS="42.686032,23.344565"
    Then Carol's call is Connected
    And Carol receives the custom parameter X-GPS="42.686032,23.344565"
    When Carol sets the custom parameter X-Ticket="4711" and sends it
    Then Carol receives the custom parameter X-Ticket="4711"
    And Carol receives "call:customParameters" with the documented payload
    And Carol has the call operations SEND_CUSTOM_PARAMETERS START, SEND_CUSTOM_PARAMETERS FINISH

  Scenario: Custom parameters reach a Link user who is called
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice sets the custom parameter X-Case="97" and sends it
    Then Bob receives the custom parameter X-Case="97"

  Scenario: Early media from the IVR is heard before the answer
    Given Carol has a link client without a platform user
    When Carol enables early media
    And Carol calls ivr@example.com anonymously
    Then Carol's call is Early Media
    And Carol hears a 450 Hz tone
    When Carol sends the DTMF tones "42"
    Then the IVR heard "42" from Carol out of band
    And Carol's call becomes Connected

  Scenario: getAvailableCodecs lists what this runtime can send
    Given Alice is connected to link
    When Alice asks for the available audio codecs
    Then Alice receives the audio codecs including PCMU
    And Alice receives "call:availableCodecs" with the documented payload
    When Alice asks for the available video codecs
    Then Alice receives the video codecs including VP8

  Scenario: setSdpHandlers changes the SDP of later calls
    Given Alice is connected to link with {"runtime": {"codecs": null}}
    And Bob is connected to link
    When Alice removes the codecs ["opus", "G722", "PCMA"] with an SDP handler
    And Alice calls Bob with audio
    And Bob receives the call
    Then the SDP Bob received has no opus codec
    When Bob answers the call
    Then Alice's call is Connected
    And Alice hears Bob's tone

  Scenario: removeBundling keeps the a=group line out of the SDP
    Given Alice is connected to link with {"call": {"removeBundling": true}}
    And Bob is connected to link
    When Alice calls Bob with audio and video
    And Bob receives the call
    Then the SDP Bob received has no bundle group

  Scenario Outline: DSCP controls mark the media socket (<priority>)
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice adds video to the call with <priority> network priority
    Then Alice's media socket is marked with DSCP <code>

    Examples:
      | priority | code |
      | high     | 46   |
      | very-low | 8    |

  Scenario Outline: The v3.X API <api> names its replacement
    Given Alice is connected to link
    When Alice calls echo@example.com with audio
    And Alice's call is Connected
    And Alice calls the v3.X API <api>
    Then the call fails with a BasicError whose code is "call:9"
    And the error names the replacement "<replacement>"

    Examples:
      | api                     | replacement        |
      | call.startScreenshare   | call.addMedia      |
      | call.stopScreenshare    | call.removeMedia   |
      | call.setDefaultDevices  | media.renderTracks |
      | call.changeInputDevices | call.replaceTrack  |
      | call.changeSpeaker      | media.renderTracks |

  Scenario: The replacement of startScreenshare shares the screen
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Alice's call is Connected
    And Alice adds screen to the call
    Then Bob receives a new remote video track
    When Alice removes her video from the call
    Then Bob is told the remote video track ended

  Scenario: replaceTrack and getStats on a Link call
    Given Alice is connected to link
    And Bob is connected to link
    When Alice calls Bob with audio
    And Bob receives the call
    And Bob answers the call
    And Bob's call is Connected
    Then Bob hears Alice's tone
    When Alice replaces her microphone with the device "mic-alice-2"
    Then Bob hears a 1200 Hz tone
    And Alice receives "call:trackReplaced" with the fields callId, newTrackId, oldTrack
    And Alice receives "call:trackReplaced" with the documented payload
    And Alice has the call operations REPLACE_TRACK START, REPLACE_TRACK FINISH
    When Alice asks for the statistics of her audio track
    Then Alice receives the statistics of her audio track only
    And Alice receives "call:statsReceived" with the documented payload
    And Alice has the call operations GET_STATS START, GET_STATS FINISH
