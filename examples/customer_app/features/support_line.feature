Feature: The support line keys in the caller's PIN
  Uses the kandy_emulator step library, plus one step of the app's own.

  Scenario: Alice's support line sends her PIN to the IVR
    Given the platform is running
    And Alice is signed in to cpaas and subscribed to calls
    When Alice's support line calls the IVR and keys in the PIN "2580"
    Then Alice's call is Connected
    And the IVR heard "2580#" from Alice out of band
