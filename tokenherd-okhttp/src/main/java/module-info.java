// OkHttp 5 ships a module descriptor (module okhttp3, which reads Okio and the Kotlin standard
// library transitively); transitive here because TokenherdOkHttp.install takes its client builder.
/**
 * Tokenherd for OkHttp: an interceptor that adds the coordinator's access token to each request and
 * an authenticator that answers a 401 with one retry on a replacement token.
 */
@org.jspecify.annotations.NullMarked
module dev.tokenherd.okhttp {
  requires transitive dev.tokenherd.coordinator;
  requires transitive okhttp3;
  requires static transitive org.jspecify;
  requires static transitive com.google.errorprone.annotations;

  exports dev.tokenherd.okhttp;
}
