// Calls the simulator through the official Ping++ Node SDK (pingpp@2.1.6) and prints one JSON line:
// {"ok":true,"created":…,"retrieved":…,"listed":…} or {"ok":false,"type":…,"rawType":…,"message":…}.
// Env: SIM_HOST, SIM_PORT, PINGPP_API_KEY, PINGPP_PRIVATE_KEY_PATH, ORDER_ID, REQUEST_ID.
'use strict';
const fs = require('fs');
const http = require('http');
// pingpp@2.1.6 writes the request body only on the socket's 'connect' event. Node >= 19 keeps sockets alive by
// default, and a reused socket never emits 'connect', so the SDK's second call would hang. Fresh sockets per call.
http.globalAgent = new http.Agent({ keepAlive: false });
const pingpp = require('pingpp')(process.env.PINGPP_API_KEY);
pingpp.setHost(process.env.SIM_HOST, Number(process.env.SIM_PORT), 'http');
pingpp.setPrivateKey(fs.readFileSync(process.env.PINGPP_PRIVATE_KEY_PATH, 'utf8'));
const orderId = process.env.ORDER_ID;

(async () => {
  try {
    const created = await pingpp.orders.createRefund(orderId, {
      description: 'Node SDK 退款',
      metadata: { refund_request_id: process.env.REQUEST_ID },
    });
    const retrieved = await pingpp.orders.retrieveRefund(orderId, created.data[0].id);
    const listed = await pingpp.orders.listRefunds(orderId, { page: 1, per_page: 3 });
    console.log(JSON.stringify({ ok: true, created, retrieved, listed }));
  } catch (err) {
    console.log(JSON.stringify({ ok: false, type: err.type, rawType: err.rawType, message: err.message }));
    process.exitCode = 2;
  }
})();
