// The interop test app: loads an official SDK build, records its events and the browser's peer
// connections, and gives the Python tests a few helpers. Everything the tests assert comes from
// the SDK's own API and events or from the browser's WebRTC stats.
'use strict';

(function () {
  const events = [];
  const peers = [];

  // Record every RTCPeerConnection the SDK makes, so tests can read the browser's own stats.
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new NativePeerConnection(...args);
    peers.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = NativePeerConnection.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, NativePeerConnection);

  function plain(value) {
    const seen = new WeakSet();
    return JSON.parse(JSON.stringify(value === undefined ? null : value, (key, item) => {
      if (item instanceof Error) return { name: item.name, code: item.code, message: item.message };
      if (typeof item === 'object' && item !== null) {
        if (seen.has(item)) return '[circular]';
        seen.add(item);
      }
      if (typeof item === 'function') return undefined;
      return item;
    }));
  }

  function loadSdk(name) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = `/sdk/${name}.js`;
      script.onload = () => resolve(window.Kandy);
      script.onerror = () => reject(new Error(`could not load /sdk/${name}.js`));
      document.head.appendChild(script);
    });
  }

  window.harness = {
    events,
    peers,
    plain,
    ready: loadSdk(new URLSearchParams(location.search).get('sdk') || 'cpaas'),

    // An app gets its tokens from the platform's token endpoint (password grant), as the
    // CPaaS tutorials do.
    async tokens(baseUrl, clientId, username, password) {
      const form = new URLSearchParams({ grant_type: 'password', client_id: clientId, scope: 'openid', username, password });
      const response = await fetch(`${baseUrl}/cpaas/auth/v1/token`, { method: 'POST', body: form });
      const body = await response.json();
      if (!response.ok) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
      return { accessToken: body.access_token, idToken: body.id_token };
    },

    create(config) {
      window.client = window.Kandy.create(config);
      return true;
    },

    listen(types) {
      for (const type of types) {
        window.client.on(type, (...args) => events.push({ type, payload: plain(args[0]), args: plain(args), at: Date.now() }));
      }
    },

    // Resolve with the first truthy value of predicate(arg) (sync or async), checked every
    // intervalMs; reject after timeoutMs. WebRTC stats have no events, so they are polled.
    async until(source, arg, timeoutMs, intervalMs = 50) {
      const predicate = (0, eval)(`(${source})`);
      const deadline = Date.now() + timeoutMs;
      let last;
      for (;;) {
        try {
          last = await predicate(arg);
          if (last) return last;
        } catch (error) {
          last = error;
        }
        if (Date.now() >= deadline) throw new Error(`not met within ${timeoutMs} ms: ${source} (last: ${last})`);
        await new Promise(resolve => setTimeout(resolve, intervalMs));
      }
    },

    // Packets the browser received and sent on its peer connections, by kind.
    async rtpCounts() {
      const counts = { inbound: {}, outbound: {} };
      for (const pc of peers) {
        if (pc.connectionState === 'closed') continue;
        const report = await pc.getStats();
        report.forEach(stat => {
          if (stat.type === 'inbound-rtp') counts.inbound[stat.kind] = (counts.inbound[stat.kind] || 0) + stat.packetsReceived;
          if (stat.type === 'outbound-rtp') counts.outbound[stat.kind] = (counts.outbound[stat.kind] || 0) + stat.packetsSent;
        });
      }
      return counts;
    },

    // Total energy of the audio the browser decoded from its peers (0 while only silence came).
    async inboundAudioEnergy() {
      let energy = 0;
      for (const pc of peers) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach(stat => {
          if (stat.type === 'inbound-rtp' && stat.kind === 'audio') energy += stat.totalAudioEnergy || 0;
        });
      }
      return energy;
    },
  };
})();
