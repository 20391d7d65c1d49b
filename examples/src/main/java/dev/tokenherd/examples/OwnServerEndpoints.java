package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.oauth2.AuthorizationServerMetadata;
import dev.tokenherd.coordinator.oauth2.ClientAuthentication;
import dev.tokenherd.coordinator.oauth2.DiscoveryException;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The user's own authorization server as the demo's pods reach it: the client secret (never from
 * the command line), the token endpoint (discovered from {@code --issuer} through RFC 8414 / OpenID
 * Connect discovery, or given with {@code --token-uri}), and one {@link OAuth2TokenEndpoint} per
 * pod. Every failure here is explained before a pod starts.
 */
final class OwnServerEndpoints {
  private static final Duration DISCOVERY_TIMEOUT = Duration.ofSeconds(10);

  private OwnServerEndpoints() {}

  /**
   * Returns the client secret: from {@code --client-secret-file}, else the environment ({@link
   * ClientSecret#resolve}); {@code null} for a public client.
   *
   * @throws UsageException if a confidential client has none
   * @throws DemoException if the file cannot be read
   */
  static @Nullable String clientSecret(
      OwnServerOptions options, Function<String, @Nullable String> environment) {
    if (options.publicClient()) {
      return null;
    }
    String location = options.clientSecretFile();
    String secret =
        location != null
            ? ClientSecret.read("--client-secret-file", location)
            : ClientSecret.resolve(null, environment);
    if (secret == null) {
      throw new UsageException(
          "the client secret is required: --client-secret-file F, or "
              + ClientSecret.FILE_VARIABLE
              + " or "
              + ClientSecret.VARIABLE
              + " in the environment (--public-client for a client without one)");
    }
    return secret;
  }

  /**
   * Discovers the token endpoint if an issuer was given, checks that an endpoint can be built, says
   * on {@code err} which one and how the client authenticates, and returns a factory of them: each
   * pod gets its own client, as separate machines would have.
   *
   * @throws UsageException if the issuer is not a valid issuer identifier
   * @throws DemoException if the issuer cannot be reached or its metadata is not usable, or the
   *     endpoint cannot be built from what was given
   */
  static Supplier<OAuth2TokenEndpoint> of(
      OwnServerOptions options, @Nullable String secret, PrintStream err) {
    URI issuer = options.issuer();
    AuthorizationServerMetadata metadata = issuer == null ? null : discover(issuer);
    URI tokenUri = options.tokenUri();
    Supplier<OAuth2TokenEndpoint> factory =
        () -> {
          OAuth2TokenEndpoint.Builder builder =
              OAuth2TokenEndpoint.builder()
                  .clientId(options.clientId())
                  .allowInsecureHttp(options.allowInsecureHttp())
                  .userAgent("tokenherd-fleet-demo");
          if (metadata != null) {
            builder.metadata(metadata);
          } else {
            builder.tokenUri(requireNonNull(tokenUri));
          }
          if (secret == null) {
            builder.clientAuthentication(ClientAuthentication.NONE);
          } else {
            builder.clientSecret(secret);
          }
          return builder.build();
        };
    OAuth2TokenEndpoint first;
    try {
      first = factory.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      // the builder's messages name the rule and the URI, never the secret
      throw new DemoException("cannot use the token endpoint: " + e.getMessage());
    }
    if (!OwnServerOptions.secure(first.tokenUri())) {
      err.println(
          "fleet-demo: WARNING: plain http to "
              + first.tokenUri().getHost()
              + ": the client secret and the refresh token cross the network readable by anyone"
              + " on the path");
    }
    err.println(
        "token endpoint: "
            + first.tokenUri()
            + (metadata == null ? "" : " (from " + metadata.issuer() + "'s metadata)")
            + ", client "
            + first.clientId()
            + " ("
            + first.clientAuthentication().wireName()
            + "); only Tokenherd runs against your server");
    return factory;
  }

  private static AuthorizationServerMetadata discover(URI issuer) {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(DISCOVERY_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    try {
      return AuthorizationServerMetadata.discover(http, issuer, DISCOVERY_TIMEOUT).join();
    } catch (IllegalArgumentException e) {
      throw new UsageException("--issuer: " + e.getMessage());
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof DiscoveryException d) {
        if (d.httpStatus() == 0) {
          throw new DemoException(
              "cannot reach the issuer "
                  + issuer
                  + ": "
                  + d.getMessage()
                  + " ("
                  + OwnServerReport.rootCause(d)
                  + "). Check the URL and the network; --token-uri skips discovery");
        }
        throw new DemoException(
            d.getMessage()
                + ". Check --issuer (it must equal the document's issuer exactly, trailing slash"
                + " included), or give the token endpoint itself with --token-uri");
      }
      throw new DemoException("discovery at " + issuer + " failed: " + e.getCause());
    }
  }
}
