Feature: SDK configuration
  Both products take a documented configuration object: every key has its documented default,
  given values are deep-merged over the defaults, and an invalid value is logged as a warning
  and leaves the previous value in place.

  Background:
    Given the platform is running

  Scenario Outline: Every documented key has its documented default
    When I create a <product> client with an empty configuration
    Then every documented configuration key of <product> has its documented default

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario Outline: An invalid value is refused with a warning and the default is kept
    When I create a <product> client with "<key>" set to <bad value>
    Then a WARN log mentions "<key>"
    And the configuration value "<key>" is <default>

    Examples:
      | product | key                               | bad value     | default          |
      | cpaas   | connectivity.pingInterval         | "often"       | 30000            |
      | cpaas   | connectivity.method.type          | "carrierPigeon" | "keepAlive"    |
      | cpaas   | logs.logLevel                     | "loud"        | "debug"          |
      | cpaas   | subscription.timeout              | -5            | 20               |
      | cpaas   | authentication.server.port        | "port"        | 443              |
      | link    | call.sdpSemantics                 | "plan-c"      | "plan-b"         |
      | link    | connectivity.webSocketOAuthMode   | "cookie"      | "query"          |
      | link    | notifications.incomingCallNotificationMode | "carrier" | "any-channel" |
      | link    | connectivity.reconnectLimit       | true          | 5                |

  Scenario Outline: updateConfig deep-merges and keeps the untouched keys
    Given Alice has a <product> client
    When Alice updates the configuration with {"connectivity": {"pingInterval": 12000}}
    Then the configuration value "connectivity.pingInterval" is 12000
    And the configuration value "connectivity.reconnectDelay" is 5000
    And the configuration value "connectivity.maxMissedPings" is 3

    Examples:
      | product |
      | cpaas   |
      | link    |

  Scenario: getVersion, getBrowserDetails and getUserInfo describe the runtime and the user
    Given Alice has a link client
    Then Alice's getVersion returns the package version
    And Alice's getBrowserDetails names the browser "aiortc" with a version

  Scenario: CPaaS getUserInfo reflects the tokens given to setTokens
    Given Alice has a cpaas client
    When Alice signs in
    Then Alice's user info has her user name and her access token

  Scenario: setTokens refuses an idToken that is not a JWT
    Given Alice has a cpaas client
    When Alice calls setTokens with an idToken "not-a-jwt"
    Then the call fails with a BasicError whose code is "authentication:5"

  Scenario Outline: destroy closes everything and every later call raises a BasicError
    Given Alice has a <product> client
    When Alice destroys her client
    Then calling getConfig on Alice's client raises a BasicError whose message mentions "destroyed"

    Examples:
      | product |
      | cpaas   |
      | link    |
