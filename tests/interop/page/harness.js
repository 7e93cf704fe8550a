// The interop test app: loads an official SDK build, records its events and the browser's peer
// connections, and gives the Python tests a few helpers. Everything the tests assert comes from
// the SDK's own API and events or from the browser's WebRTC stats.
'use strict';

(function () {
  const events = [];
  const peers = [];
  // What the page did with the SDK and what the SDK reported, in one order, each stamped with the
  // wall clock (ms): the API calls the test made (``action``) and the SDK's events (``event``).
  // make record-interop stores it beside the platform's traffic (tests/contract/recordings), and
  // tests/contract replays the same calls into our Python SDK and compares the events.
  const log = [];
  const now = () => performance.timeOrigin + performance.now();

  // Record every RTCPeerConnection the SDK makes, so tests can read the browser's own stats. An
  // app can force relayed media (harness.iceTransportPolicy = 'relay'), which the 4.9.0 SDK's
  // configuration cannot express: the page adds it to the configuration the SDK passes.
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    if (window.harness.iceTransportPolicy) {
      args[0] = { ...(args[0] || {}), iceTransportPolicy: window.harness.iceTransportPolicy };
    }
    const pc = new NativePeerConnection(...args);
    peers.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = NativePeerConnection.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, NativePeerConnection);

  // A JSON-safe copy: errors as {name, code, message}, functions dropped, and a reference back to
  // an enclosing object (a real cycle) as '[circular]'; shared objects are copied each time.
  function plain(value, ancestors = []) {
    if (value instanceof Error) return { name: value.name, code: value.code, message: value.message };
    if (typeof value === 'function' || value === undefined) return null;
    if (typeof value !== 'object' || value === null) return value;
    if (ancestors.includes(value)) return '[circular]';
    if (typeof value.toJSON === 'function') return plain(value.toJSON(), ancestors);
    const inside = [...ancestors, value];
    if (Array.isArray(value)) return value.map(item => plain(item, inside));
    const copy = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'function') copy[key] = plain(item, inside);
    }
    return copy;
  }

  // Every stat of every peer connection that is not closed.
  async function openPeerStats() {
    const stats = [];
    for (const pc of peers) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach(stat => stats.push(stat));
    }
    return stats;
  }

  // The client the page sees: every API call made through it (at any depth: client.call.make,
  // client.conversation.get(id).createMessage(...).send()) is logged with its arguments and result.
  // Calls the SDK makes into its own API while serving one are not the page's and are not logged;
  // a read polled with the same answer is logged once. Objects an API call returns that have
  // methods (a conversation, a message) are recorded the same way and numbered (``ref``), so a
  // later call on one names it (``target``; the client is 0).
  let inside = 0;
  let nextRef = 1;
  const lastReads = new Map();
  function hasMethods(value) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof value.then === 'function') return false;
    for (let o = value; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) {
        const d = Object.getOwnPropertyDescriptor(o, key);
        if (key !== 'constructor' && d && typeof d.value === 'function') return true;
      }
    }
    return false;
  }
  function quietly(fn) {
    inside++;
    try { return fn(); } finally { inside--; }
  }
  function recorded(real, target, path, key, fn) {
    return function (...args) {
      if (inside > 0) return fn.apply(real, args);
      const call = path ? `${path}.${key}` : key;
      const entry = { kind: 'action', target, call, args: quietly(() => plain(args)), at: now() };
      log.push(entry);  // before the call: events the call emits synchronously come after it
      let result;
      inside++;
      try {
        result = fn.apply(real, args);
      } catch (error) {
        entry.threw = quietly(() => plain(error));
        throw error;
      } finally {
        inside--;
      }
      if (result && typeof result.then === 'function') {
        entry.promise = true;
        result.then(value => { entry.resolved = quietly(() => plain(value)); },
                    error => { entry.rejected = quietly(() => plain(error)); });
        return result;
      }
      entry.result = quietly(() => plain(result));
      if (hasMethods(result)) {  // an object a later call may name: always logged
        entry.ref = nextRef++;
        return shadow(result, entry.ref, '');
      }
      const read = `${target} ${call} ${JSON.stringify(entry.args)}`;
      const answer = JSON.stringify(entry.result);
      if (log[log.length - 1] === entry && lastReads.get(read) === answer) log.pop();
      lastReads.set(read, answer);
      return result;
    };
  }
  // A stand-in for an SDK object (an empty target, so frozen SDK objects keep their invariants).
  function shadow(real, ref, path) {
    return new Proxy({}, {
      get(_, key) {
        const value = real[key];
        if (typeof key !== 'string') return value;
        if (typeof value === 'function') return recorded(real, ref, path, key, value);
        if (hasMethods(value)) return shadow(value, ref, path ? `${path}.${key}` : key);  // a namespace
        return value;
      },
      has: (_, key) => key in real,
      ownKeys: () => Reflect.ownKeys(real),
      getOwnPropertyDescriptor(_, key) {
        const d = Reflect.getOwnPropertyDescriptor(real, key);
        return d && { ...d, configurable: true };
      },
    });
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

  // One analyser per remote track. Chromium only feeds a remote WebRTC track into WebAudio while
  // the track also plays in a media element, so each one gets a muted <audio> too.
  const analysers = new Map();
  let audioContext = null;
  function analyse(track) {
    let entry = analysers.get(track.id);
    if (!entry) {
      audioContext = audioContext || new AudioContext();
      const stream = new MediaStream([track]);
      const element = new Audio();
      element.muted = true;
      element.srcObject = stream;
      element.play().catch(() => {});
      const analyser = audioContext.createAnalyser();
      analyser.fftSize = 8192;
      audioContext.createMediaStreamSource(stream).connect(analyser);
      entry = { analyser, element, bins: new Float32Array(analyser.frequencyBinCount) };
      analysers.set(track.id, entry);
    }
    entry.analyser.getFloatFrequencyData(entry.bins);
    let peak = 0;
    for (let i = 1; i < entry.bins.length; i++) if (entry.bins[i] > entry.bins[peak]) peak = i;
    return { trackId: track.id, hz: peak * audioContext.sampleRate / entry.analyser.fftSize, db: entry.bins[peak] };
  }

  let rawClient = null;

  window.harness = {
    events,
    log,
    peers,
    iceTransportPolicy: null,
    plain: value => quietly(() => plain(value)),
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
      log.push({ kind: 'action', target: null, call: 'create', args: [plain(config)], at: now() });
      rawClient = window.Kandy.create(config);
      window.client = shadow(rawClient, 0, '');
      return true;
    },

    listen(types) {
      log.push({ kind: 'listen', types, at: now() });
      for (const type of types) {
        rawClient.on(type, (...args) => quietly(() => {
          const record = { type, payload: plain(args[0]), args: plain(args), at: Date.now() };
          // A call event also records the call's state as the SDK reports it at that moment.
          const callId = args[0] && args[0].callId;
          if (callId && rawClient.call && rawClient.call.getById) {
            const call = rawClient.call.getById(callId);
            record.callState = call ? call.state : null;
          }
          events.push(record);
          log.push({ kind: 'event', type, payload: record.payload, callState: record.callState, at: now() });
        }));
      }
    },

    // Resolve once every promise an API call returned has settled and the log has stopped growing
    // for one poll (at most timeoutMs): a recording keeps what the SDK did after the test's last step.
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let length = -1;
      while (Date.now() < deadline) {
        const pending = log.some(e => e.promise && !('resolved' in e) && !('rejected' in e));
        if (!pending && log.length === length) return true;
        length = log.length;
        await new Promise(resolve => setTimeout(resolve, 50));
      }
      return false;
    },

    // The loudest frequency (Hz) and its level (dBFS) in each live remote audio track the browser
    // receives, measured by a WebAudio analyser: what the page's user would hear.
    remoteTones() {
      const found = [];
      for (const pc of peers) {
        if (pc.connectionState === 'closed') continue;
        for (const receiver of pc.getReceivers()) {
          const track = receiver.track;
          if (!track || track.kind !== 'audio' || track.readyState !== 'live') continue;
          found.push(analyse(track));
        }
      }
      return found;
    },

    // Resolve with the first truthy value of predicate(arg) (sync or async), checked every
    // intervalMs; reject after timeoutMs. WebRTC stats have no events, so they are polled.
    async until(source, arg, timeoutMs, intervalMs = 50) {
      if (!Number.isFinite(timeoutMs)) throw new Error(`until: timeoutMs must be a number, got ${timeoutMs}`);
      const predicate = typeof source === 'function' ? source : (0, eval)(`(${source})`);
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

    // Packets the browser received and sent on its open peer connections, by kind.
    async rtpCounts() {
      const counts = { inbound: {}, outbound: {} };
      for (const stat of await openPeerStats()) {
        if (stat.type === 'inbound-rtp') counts.inbound[stat.kind] = (counts.inbound[stat.kind] || 0) + stat.packetsReceived;
        if (stat.type === 'outbound-rtp') counts.outbound[stat.kind] = (counts.outbound[stat.kind] || 0) + stat.packetsSent;
      }
      return counts;
    },

    // The candidate pair each open peer connection selected, with its two candidates (getStats):
    // [{local: {candidateType, protocol, relayProtocol, address, port}, remote: {...}}].
    async selectedPairs() {
      const pairs = [];
      for (const pc of peers) {
        if (pc.connectionState === 'closed') continue;
        const stats = new Map();
        (await pc.getStats()).forEach(stat => stats.set(stat.id, stat));
        const transport = [...stats.values()].find(stat => stat.type === 'transport' && stat.selectedCandidatePairId);
        const pair = transport ? stats.get(transport.selectedCandidatePairId)
          : [...stats.values()].find(stat => stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded');
        if (!pair) continue;
        const side = id => {
          const c = stats.get(id) || {};
          return { candidateType: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol,
                   address: c.address, port: c.port };
        };
        pairs.push({ state: pair.state, local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId),
                     bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived });
      }
      return pairs;
    },

    // Total energy of the audio the browser decoded from its peers (0 while only silence came).
    async inboundAudioEnergy() {
      return (await openPeerStats())
        .filter(stat => stat.type === 'inbound-rtp' && stat.kind === 'audio')
        .reduce((energy, stat) => energy + (stat.totalAudioEnergy || 0), 0);
    },
  };
})();
