// Optional network isolation: storage and Key Vault reachable only through private endpoints in a VNet that the
// function app joins for outbound traffic. The app's inbound stays public so Ping++ can deliver webhooks.

param vnetName string
param location string
param tags object
param storageAccountName string
param keyVaultName string

var privateEndpointTargets = [
  {
    name: 'blob'
    target: 'storage'
    groupId: 'blob'
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    name: 'queue'
    target: 'storage'
    groupId: 'queue'
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    name: 'table'
    target: 'storage'
    groupId: 'table'
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    name: 'vault'
    target: 'vault'
    groupId: 'vault'
    // environment().suffixes.keyvaultDns is '.vault.azure.net' (public), '.vault.azure.cn' (China), ...; the private
    // zone is 'privatelink.vaultcore.' + the same domain (Microsoft's private endpoint DNS table, infra/README.md).
    zone: 'privatelink.vaultcore.${skip(environment().suffixes.keyvaultDns, length('.vault.'))}'
  }
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] }
    subnets: [
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.0.1.0/24'
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
      {
        name: 'app'
        properties: {
          addressPrefix: '10.0.2.0/24'
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
    ]
  }

  resource privateEndpointSubnet 'subnets' existing = {
    name: 'private-endpoints'
  }

  resource appSubnet 'subnets' existing = {
    name: 'app'
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for target in privateEndpointTargets: {
    name: target.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (target, i) in privateEndpointTargets: {
    parent: zones[i]
    name: '${vnetName}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for (target, i) in privateEndpointTargets: {
    name: 'pe-${target.name}-${target.target == 'vault' ? keyVaultName : storageAccountName}'
    location: location
    tags: tags
    properties: {
      subnet: { id: vnet::privateEndpointSubnet.id }
      privateLinkServiceConnections: [
        {
          name: target.name
          properties: {
            privateLinkServiceId: target.target == 'vault' ? vault.id : storage.id
            groupIds: [target.groupId]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (target, i) in privateEndpointTargets: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(target.zone, '.', '-')
          properties: { privateDnsZoneId: zones[i].id }
        }
      ]
    }
  }
]

output appSubnetId string = vnet::appSubnet.id
