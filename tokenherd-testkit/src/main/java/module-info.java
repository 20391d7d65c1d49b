/**
 * Tokenherd's test kit: a fake authorization server on loopback that keeps the ledger invariants
 * are judged by, virtual time, and Redis server processes for tests.
 */
@org.jspecify.annotations.NullMarked
module dev.tokenherd.testkit {
  requires transitive jdk.httpserver; // FakeAuthorizationServer serves on the JDK's HttpServer
  requires com.fasterxml.jackson.databind;
  requires static transitive org.jspecify;
  requires static transitive com.google.errorprone.annotations;

  exports dev.tokenherd.testkit;
}
