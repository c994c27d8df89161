// Key Vault with the merchant's RSA signing key and the Ping++ API key secret.
// The private key never leaves the vault: the app calls the vault's `sign` operation with the versioned key id.

param name string
param location string
param tags object

@description('standard or premium. RSA-HSM keys need premium; the caller derives that.')
@allowed(['standard', 'premium'])
param skuName string

@description('Name of the RSA key that signs Ping++ API requests.')
param signingKeyName string

@description('RSA (software-protected) or RSA-HSM (HSM-protected, premium vault only).')
@allowed(['RSA', 'RSA-HSM'])
param signingKeyType string

@description('Name of the secret that holds the Ping++ secret API key.')
param apiKeySecretName string

@secure()
@description('The Ping++ secret API key. Empty: the secret is not written (the operator sets it later).')
param apiKeyValue string

@description('True when the vault is reachable only through a private endpoint.')
param networkIsolation bool

@description('default: create or update the vault. recover: recover the soft-deleted vault of this name with its keys and secrets (role assignments are not recovered; the template makes them again).')
@allowed(['default', 'recover'])
param createMode string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    createMode: createMode
    tenantId: tenant().tenantId
    sku: { family: 'A', name: skuName }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: networkIsolation ? 'Disabled' : 'Enabled'
    networkAcls: networkIsolation
      ? { defaultAction: 'Deny', bypass: 'AzureServices' }
      : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

// ARM creates only the first version of a key; later deployments with the same properties leave it alone.
// No rotationPolicy: a silent rotation would sign with a key whose public half Ping++ does not have.
resource signingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' = {
  parent: vault
  name: signingKeyName
  properties: {
    kty: signingKeyType
    keySize: 2048
    keyOps: ['sign', 'verify']
    attributes: { enabled: true }
  }
}

resource apiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(apiKeyValue)) {
  parent: vault
  name: apiKeySecretName
  properties: {
    value: apiKeyValue
    contentType: 'text/plain'
    attributes: { enabled: true }
  }
}

output id string = vault.id
output name string = vault.name
output vaultUri string = vault.properties.vaultUri
output signingKeyName string = signingKey.name
output signingKeyUri string = signingKey.properties.keyUri
output signingKeyUriWithVersion string = signingKey.properties.keyUriWithVersion
// Versionless, so the reference follows the operator's `az keyvault secret set` without a redeployment.
output apiKeySecretUri string = '${vault.properties.vaultUri}secrets/${apiKeySecretName}'
