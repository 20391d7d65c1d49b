package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The parts of an authorization server's metadata (RFC 8414, OpenID Connect Discovery 1.0) that a
 * token endpoint client needs. Obtain it with {@link #discover} and pass it to {@link
 * OAuth2TokenEndpoint.Builder#metadata}.
 *
 * <pre>{@code
 * AuthorizationServerMetadata metadata =
 *     AuthorizationServerMetadata.discover(httpClient, issuer, Duration.ofSeconds(5)).join();
 * TokenEndpoint endpoint =
 *     OAuth2TokenEndpoint.builder().metadata(metadata).clientId(id).clientSecret(secret).build();
 * }</pre>
 *
 * @param issuer the issuer identifier, exactly as configured and as the server states it
 * @param tokenEndpoint the absolute token endpoint URI
 * @param tokenEndpointAuthMethodsSupported the {@code token_endpoint_auth_methods_supported} names
 *     in the server's order; empty if the server omitted them (RFC 8414 then implies {@code
 *     client_secret_basic})
 */
public record AuthorizationServerMetadata(
    URI issuer, URI tokenEndpoint, List<String> tokenEndpointAuthMethodsSupported) {

  /** The RFC 8414 well-known suffix, inserted between the host and the issuer's path. */
  static final String OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server";

  /** The OpenID Connect Discovery suffix, appended to the issuer. */
  static final String OIDC_WELL_KNOWN = "/.well-known/openid-configuration";

  /** Metadata documents are larger than token responses (Keycloak's is about 10 KiB). */
  static final int MAX_METADATA_BYTES = 1024 * 1024;

  /**
   * Validates the components. Only the token endpoint's form is checked here; {@link #discover}
   * also checks the issuer and requires https off the loopback host.
   *
   * @param issuer the issuer identifier
   * @param tokenEndpoint the absolute token endpoint URI
   * @param tokenEndpointAuthMethodsSupported the supported client authentication methods by name;
   *     copied
   * @throws IllegalArgumentException if {@code tokenEndpoint} is not an absolute http(s) URI with a
   *     host, or has user info or a fragment
   */
  public AuthorizationServerMetadata {
    requireNonNull(issuer, "issuer");
    requireNonNull(tokenEndpoint, "tokenEndpoint");
    tokenEndpointAuthMethodsSupported = List.copyOf(tokenEndpointAuthMethodsSupported);
    Uris.requireHttpUri("tokenEndpoint", tokenEndpoint);
  }

  /**
   * Fetches and validates an authorization server's metadata.
   *
   * <p>Tries the RFC 8414 location first: {@code /.well-known/oauth-authorization-server} inserted
   * between the host and the issuer's path, so issuer {@code https://host/tenant} is looked up at
   * {@code https://host/.well-known/oauth-authorization-server/tenant}. If that answers 404, tries
   * the OpenID Connect location, {@code https://host/tenant/.well-known/openid-configuration}. The
   * document's {@code issuer} must equal {@code issuer} exactly (RFC 8414 sec. 3.3; OpenID Connect
   * Discovery sec. 4.3), which defeats a document copied from, or pointing at, another server; its
   * {@code token_endpoint} must be an absolute https URI (http only on a loopback host).
   *
   * <p>Each of the (at most two) requests is bounded by {@code timeout}; redirects are handled as
   * {@code httpClient} is configured to. The returned future completes on {@code httpClient}'s
   * executor; dependent stages must not block it.
   *
   * @param httpClient the client to fetch with
   * @param issuer the issuer identifier: https (http only on a loopback host), without query or
   *     fragment
   * @param timeout the time allowed for each request
   * @return the metadata; fails with {@link DiscoveryException} if it cannot be fetched or is not
   *     acceptable
   * @throws IllegalArgumentException if {@code issuer} is not a valid issuer identifier or {@code
   *     timeout} is not positive
   */
  public static CompletableFuture<AuthorizationServerMetadata> discover(
      HttpClient httpClient, URI issuer, Duration timeout) {
    requireNonNull(httpClient, "httpClient");
    requireNonNull(issuer, "issuer");
    requireNonNull(timeout, "timeout");
    Uris.requireHttpUri("issuer", issuer);
    if (!Uris.isHttps(issuer) && !Uris.isLoopback(issuer)) {
      throw new IllegalArgumentException("issuer must use https: " + issuer);
    }
    if (issuer.getRawQuery() != null) {
      throw new IllegalArgumentException("issuer must not have a query: " + issuer);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    URI rfc8414 = rfc8414Location(issuer);
    URI oidc = openIdLocation(issuer);
    CompletableFuture<AuthorizationServerMetadata> result = new CompletableFuture<>();
    var unused =
        fetch(httpClient, rfc8414, timeout)
            .whenComplete(
                (response, failure) -> {
                  if (failure == null && response.statusCode() == 404) {
                    var unusedCompletion =
                        fetch(httpClient, oidc, timeout)
                            .whenComplete(
                                (second, secondFailure) ->
                                    complete(result, issuer, oidc, rfc8414, second, secondFailure));
                  } else {
                    complete(result, issuer, rfc8414, null, response, failure);
                  }
                });
    return result;
  }

  /** Returns the RFC 8414 sec. 3.1 metadata location for an issuer. */
  static URI rfc8414Location(URI issuer) {
    return withPath(issuer, OAUTH_WELL_KNOWN + pathWithoutTrailingSlash(issuer));
  }

  /** Returns the OpenID Connect Discovery sec. 4 configuration location for an issuer. */
  static URI openIdLocation(URI issuer) {
    return withPath(issuer, pathWithoutTrailingSlash(issuer) + OIDC_WELL_KNOWN);
  }

  /**
   * Returns the method to use when the builder was given none: {@code client_secret_basic} if
   * supported (it is also the RFC 8414 default when the list is omitted), else {@code
   * client_secret_post}.
   *
   * @return the method, or {@code null} if the server supports neither
   */
  @Nullable ClientAuthentication preferredSecretAuthentication() {
    if (tokenEndpointAuthMethodsSupported.isEmpty()) {
      return ClientAuthentication.CLIENT_SECRET_BASIC;
    }
    Set<ClientAuthentication> supported = EnumSet.noneOf(ClientAuthentication.class);
    for (String name : tokenEndpointAuthMethodsSupported) {
      ClientAuthentication method = ClientAuthentication.fromWireName(name);
      if (method != null) {
        supported.add(method);
      }
    }
    if (supported.contains(ClientAuthentication.CLIENT_SECRET_BASIC)) {
      return ClientAuthentication.CLIENT_SECRET_BASIC;
    }
    return supported.contains(ClientAuthentication.CLIENT_SECRET_POST)
        ? ClientAuthentication.CLIENT_SECRET_POST
        : null;
  }

  private static String pathWithoutTrailingSlash(URI issuer) {
    String path = issuer.getRawPath() == null ? "" : issuer.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return path;
  }

  private static URI withPath(URI issuer, String rawPath) {
    return URI.create(issuer.getScheme() + "://" + issuer.getRawAuthority() + rawPath);
  }

  private static CompletableFuture<HttpResponse<BoundedBody>> fetch(
      HttpClient httpClient, URI location, Duration timeout) {
    HttpRequest request =
        HttpRequest.newBuilder(location)
            .GET()
            .header("Accept", "application/json")
            .timeout(timeout)
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      return httpClient.sendAsync(request, BoundedBody.handler(MAX_METADATA_BYTES, deadline));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void complete(
      CompletableFuture<AuthorizationServerMetadata> result,
      URI issuer,
      URI location,
      @Nullable URI alsoTried,
      @Nullable HttpResponse<BoundedBody> response,
      @Nullable Throwable failure) {
    try {
      if (failure != null || response == null) {
        throw new DiscoveryException(
            "could not fetch authorization server metadata from " + location,
            0,
            /* retryable= */ true,
            failure == null ? null : FailureClassifier.unwrap(failure));
      }
      result.complete(parse(issuer, location, alsoTried, response));
    } catch (DiscoveryException e) {
      result.completeExceptionally(e);
    } catch (RuntimeException e) {
      result.completeExceptionally(
          new DiscoveryException(
              "unexpected failure reading metadata from " + location, 0, false, e));
    }
  }

  private static AuthorizationServerMetadata parse(
      URI issuer, URI location, @Nullable URI alsoTried, HttpResponse<BoundedBody> response) {
    int status = response.statusCode();
    if (status != 200) {
      boolean retryable = status >= 500 || status == 408 || status == 429;
      throw new DiscoveryException(
          "authorization server metadata at "
              + location
              + (alsoTried == null ? "" : " (after a 404 at " + alsoTried + ")")
              + " answered HTTP "
              + status,
          status,
          retryable,
          null);
    }
    BoundedBody body = response.body();
    if (body.exceeded()) {
      throw invalid(location, "is larger than " + MAX_METADATA_BYTES + " bytes");
    }
    ObjectNode json = Json.parseObject(body.bytes());
    if (json == null) {
      throw invalid(location, "is not a JSON object");
    }
    String statedIssuer = text(json, "issuer", location);
    if (statedIssuer == null) {
      throw invalid(location, "has no issuer");
    }
    if (!statedIssuer.equals(issuer.toString())) {
      throw invalid(
          location,
          "states issuer "
              + statedIssuer
              + ", not the configured "
              + issuer
              + " (RFC 8414 sec. 3.3)");
    }
    String tokenEndpoint = text(json, "token_endpoint", location);
    if (tokenEndpoint == null) {
      throw invalid(location, "has no token_endpoint");
    }
    URI tokenUri;
    try {
      tokenUri = new URI(tokenEndpoint);
      Uris.requireHttpUri("token_endpoint", tokenUri);
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw invalid(location, "has a token_endpoint that is not an absolute http(s) URI");
    }
    if (!Uris.isHttps(tokenUri) && !Uris.isLoopback(tokenUri)) {
      throw invalid(location, "has a token_endpoint that does not use https: " + tokenUri);
    }
    return new AuthorizationServerMetadata(issuer, tokenUri, authMethods(json, location));
  }

  private static List<String> authMethods(ObjectNode json, URI location) {
    JsonNode node = json.get("token_endpoint_auth_methods_supported");
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw invalid(location, "has a token_endpoint_auth_methods_supported that is not an array");
    }
    List<String> methods = new ArrayList<>();
    for (JsonNode element : node) {
      if (!element.isTextual()) {
        throw invalid(location, "has a token_endpoint_auth_methods_supported that is not strings");
      }
      methods.add(element.textValue());
    }
    return methods;
  }

  private static @Nullable String text(ObjectNode json, String member, URI location) {
    try {
      return Json.optionalString(json, member);
    } catch (Json.WrongTypeException e) {
      throw invalid(location, "has a " + member + " that is not a string");
    }
  }

  private static DiscoveryException invalid(URI location, String problem) {
    return new DiscoveryException(
        "authorization server metadata at " + location + " " + problem,
        200,
        /* retryable= */ false,
        null);
  }
}
