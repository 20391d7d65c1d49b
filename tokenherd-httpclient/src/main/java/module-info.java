/**
 * Tokenherd for java.net.http: an {@link java.net.http.HttpClient} wrapper that adds the
 * coordinator's access token to each request and answers a 401 with one retry on a replacement
 * token.
 */
@org.jspecify.annotations.NullMarked
module dev.tokenherd.httpclient {
  requires transitive dev.tokenherd.coordinator;
  requires transitive java.net.http; // TokenherdHttpClient takes and returns its types
  requires static transitive org.jspecify;
  requires static transitive com.google.errorprone.annotations;

  exports dev.tokenherd.httpclient;
}
