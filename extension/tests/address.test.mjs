import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isLocalHost } from '../src/lib/address.js';
import { isPublicServer, normaliseServer, publicServerWarning } from '../src/lib/pairing.js';

const host = (address) => new URL(address).hostname;

test('loopback in every spelling the URL parser accepts is local', () => {
  for (const address of ['http://localhost:3000', 'http://app.localhost', 'http://127.0.0.1', 'http://127.8.9.10']) {
    assert.equal(isLocalHost(host(address)), true, address);
  }
  for (const address of ['http://2130706433', 'http://0x7f.1', 'http://0177.0.0.1', 'http://[::1]']) {
    assert.equal(isLocalHost(host(address)), true, address);
  }
});

test('private networks (RFC 1918, fc00::/7) and link-local are local, their neighbours are not', () => {
  const local = ['10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.1.20', '169.254.10.1'];
  const ipv6 = ['[fd12:3456::1]', '[fc00::1]', '[fe80::1]', '[::ffff:192.168.1.20]'];
  for (const address of [...local, ...ipv6]) assert.equal(isLocalHost(host(`http://${address}`)), true, address);
  const outside = ['172.15.0.1', '172.32.0.1', '192.169.0.1', '100.64.0.1', '8.8.8.8', '0.0.0.0'];
  const ipv6Outside = ['[2001:db8::1]', '[fec0::1]', '[::ffff:8.8.8.8]', '[::]'];
  for (const address of [...outside, ...ipv6Outside]) {
    assert.equal(isLocalHost(host(`http://${address}`)), false, address);
  }
});

test('only the LAN name suffixes count as local names', () => {
  for (const name of ['nas.local', 'nas.local.', 'media.lan', 'box.home.arpa', 'NAS.LOCAL']) {
    assert.equal(isLocalHost(host(`http://${name}`)), true, name);
  }
  for (const name of ['example.com', 'local', 'nas', 'local.example.com', 'evil.lan.example.com', 'home.arpa.evil']) {
    assert.equal(isLocalHost(host(`http://${name}`)), false, name);
  }
});

test('http:// to a host outside the network is refused with a sentence saying why and what to do', () => {
  for (const address of ['http://public-host.example', 'example.com:3000', 'http://8.8.8.8:3000', 'http://[2001:db8::1]']) {
    assert.throws(() => normaliseServer(address), /not on your own network, and http:\/\/ would send your token/);
  }
  assert.throws(() => normaliseServer('http://nas'), /http:\/\/nas\.local:3000/);
});

test('local servers pair over http or https without a warning', () => {
  for (const address of ['http://192.168.1.20:3000', 'nas.local:3000', 'https://nas.lan', 'http://[fd00::5]:3000']) {
    assert.equal(isPublicServer(normaliseServer(address)), false, address);
  }
});

test('a public host over https is accepted but flagged, with a warning naming it', () => {
  const server = normaliseServer('https://media.example.org/app/');
  assert.equal(server, 'https://media.example.org');
  assert.equal(isPublicServer(server), true);
  assert.match(publicServerWarning(server), /^media\.example\.org is on the public internet/);
  assert.match(publicServerWarning(server), /Continue only if it is your own server\./);
});
