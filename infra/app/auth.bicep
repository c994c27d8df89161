// App Service Authentication (authsettingsV2) for the operator console: operators sign in with Entra ID and the
// platform hands the app their principal (X-MS-CLIENT-PRINCIPAL), which the app trusts on /api/entra/manage/… only
// while this is enabled (Entra__AppServiceAuthentication and the platform's WEBSITE_AUTH_ENABLED; docs/security.md).
//
// requireAuthentication is false and unauthenticated requests are allowed through: the platform never answers for
// the app, so the Ping++ webhook, /api/health, the key routes (x-functions-key) and the Entra-token machine routes keep
// working exactly as without it, and no excludedPaths list has to mirror the app's routes (excludedPaths only lists
// paths that skip the login redirect, and applies only when requireAuthentication is true). The app itself refuses a
// console call without a signed-in principal (401 not_signed_in), and the console then opens /.auth/login/aad.

param siteName string

@description('Turn the sign-in on (the console on Azure). Off: authsettingsV2 is written disabled.')
param enabled bool

@description('The operators\' directory (tenant) id.')
param tenantId string

@description('Application (client) id of the app registration operators sign in to (the API\'s: entraAudience).')
param clientId string

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: siteName
}

resource authSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: enabled
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
      routes: { apiPrefix: '/.auth' }
      forwardProxy: { convention: 'NoProxy' }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: enabled
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
          clientId: clientId
          // No client secret: the app's user-assigned identity is a federated credential of the app registration
          // (the OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID app setting, app/api.bicep; docs/deploy.md).
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: {
          // Machine callers' v2 tokens carry the bare client id as aud; the platform accepts them too and the app
          // validates them itself again (EntraTokenValidator).
          allowedAudiences: [clientId, 'api://${clientId}']
        }
        login: {
          disableWWWAuthenticate: false
        }
      }
    }
    login: {
      // The console needs no tokens from the platform (it asks the app who it is: /api/entra/manage/whoami).
      tokenStore: { enabled: false }
      preserveUrlFragmentsForLogins: true
      cookieExpiration: {
        convention: 'FixedTime'
        timeToExpiration: '08:00:00'
      }
      nonce: {
        validateNonce: true
      }
    }
  }
}

output enabled bool = authSettings.properties.platform.enabled
