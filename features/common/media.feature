Feature: Media: devices, tracks, rendering and muting
  Emulated devices behave like a browser's: each microphone plays its own tone, each camera shows
  its own colour, and containers record what was rendered into them.

  Background:
    Given the platform is running

  Scenario Outline: getDevices lists the emulated devices (<product>)
    Given Alice is ready for calls on <product>
    Then Alice's devices are a camera, a microphone and a speaker with documented fields

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: Media and track objects of a call (<product>)
    Given Alice is ready for calls on <product>
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    And Alice's local media object lists her audio track
    And Alice's local audio track object has every documented field for <product>

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: Rendering on a chosen speaker and removing from a container (<product>)
    Given Alice is ready for calls on <product>
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    When Alice renders the remote audio in "#speaker-two" on the speaker "spk-alice"
    Then the container "#speaker-two" of Alice plays on the speaker "spk-alice" and hears her own tone
    When Alice removes the remote audio from "#speaker-two"
    Then the remote audio track of Alice is no longer in "#speaker-two"

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: Muting and unmuting tracks emits media events (<product>)
    Given Alice is ready for calls on <product>
    When Alice calls echo@example.com with audio
    Then Alice's call is Connected
    When Alice mutes her microphone
    Then Alice receives "media:muted" with the fields trackIds
    And Alice receives "media:muted" with the documented payload
    And Alice hears silence from Alice
    When Alice unmutes her microphone
    Then Alice receives "media:unmuted" with the fields trackIds
    And Alice receives "media:unmuted" with the documented payload
    And Alice hears her own tone

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario: initializeDevices succeeds when permission is granted
    Given Alice has a link client
    When Alice initializes her devices
    Then Alice receives "devices:change" with the fields devices
    And Alice receives "devices:change" with the documented payload

  Scenario: initializeDevices reports an error when permission is denied
    Given Alice has a link client denied media permissions
    When Alice initializes her devices
    Then Alice receives "devices:error" with error code "media:2"
    And Alice receives "devices:error" with the documented payload

  Scenario: Plugging a device emits devices:change and the device can be used
    Given Alice is ready for calls on cpaas
    When a microphone "usb-mic" playing 1500 Hz is plugged into Alice's machine
    Then Alice receives "devices:change" with the fields devices
    When Alice calls echo@example.com with audio from the microphone "usb-mic"
    Then Alice's call is Connected
    And Alice hears a 1500 Hz tone

  Scenario: getBrowserDetails describes the CPaaS runtime
    Given Alice has a cpaas client
    Then Alice's getBrowserDetails names the browser "aiortc" with a version
