// resilience4j 2.x ships no module descriptor: it is an automatic module, hence the suppression.
/** Tokenherd core: the API, the SPI, the OAuth 2.0 client and the in-memory roles. */
@org.jspecify.annotations.NullMarked
@SuppressWarnings("requires-automatic")
module dev.tokenherd.coordinator {
  requires transitive java.net.http; // OAuth2TokenEndpoint takes an HttpClient
  requires com.fasterxml.jackson.databind;
  requires io.github.resilience4j.retry;
  requires io.github.resilience4j.core;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static transitive com.google.errorprone.annotations;

  exports dev.tokenherd;
  exports dev.tokenherd.coordinator;
  exports dev.tokenherd.coordinator.spi;
  exports dev.tokenherd.coordinator.oauth2;
  exports dev.tokenherd.coordinator.memory;
}
