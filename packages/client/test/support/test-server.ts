// The server's own test support (a real server on 127.0.0.1:0 over a temporary SQLite
// file and blob directory, with one user per role): imported, not copied.
export {
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../../server/test/support/test-server.js';
