package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real OAuth 2.0 resource server for tests: Spring Security's JWT resource server in its own
 * Spring Boot application and context, on a free port of 127.0.0.1. It trusts one issuer, fetches
 * the signing keys from its JWK set URI, and allows <b>no clock skew</b>: a token is refused (HTTP
 * 401, {@code invalid_token}) from the instant of its {@code exp} claim on. It serves {@code GET
 * /api/hello}, answering {@code hello <subject>} as plain text, and counts the calls it accepted
 * and rejected.
 *
 * <p>Like {@link SpringAuthorizationServer}, it imports only the auto-configurations it needs,
 * loads no {@code application.properties}, and has no stereotype-annotated class to be scanned.
 * Thread-safe.
 */
public final class ResourceServer implements AutoCloseable {
  private final ResourceServerApplication.CallCounter calls =
      new ResourceServerApplication.CallCounter();
  private final ConfigurableApplicationContext context;
  private final URI uri;

  private ResourceServer(Builder builder) {
    ResourceServerApplication.Settings settings =
        new ResourceServerApplication.Settings(
            requireNonNull(builder.issuer, "issuer"),
            requireNonNull(builder.jwkSetUri, "jwkSetUri"),
            builder.clockSkew);
    this.context =
        new SpringApplicationBuilder(ResourceServerApplication.class)
            .web(WebApplicationType.SERVLET)
            .initializers(
                context -> {
                  context.getBeanFactory().registerSingleton("tokenherdFixtureSettings", settings);
                  context.getBeanFactory().registerSingleton("tokenherdCallCounter", calls);
                })
            .run(BootArguments.forApplication("tokenherd-resource-server"));
    int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    this.uri = URI.create("http://127.0.0.1:" + port);
  }

  /**
   * Starts a resource server that trusts {@code authorizationServer}'s tokens, with zero clock
   * skew.
   *
   * @param authorizationServer the issuer to trust
   * @return the running server, to be closed
   */
  public static ResourceServer trusting(SpringAuthorizationServer authorizationServer) {
    return builder()
        .issuer(authorizationServer.issuerUri())
        .jwkSetUri(authorizationServer.jwkSetUri())
        .start();
  }

  /**
   * Returns a builder; {@link Builder#issuer} and {@link Builder#jwkSetUri} are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the server's base URI, {@code http://127.0.0.1:<port>}.
   *
   * @return the base URI
   */
  public URI uri() {
    return uri;
  }

  /**
   * Returns the protected resource, {@code <uri>/api/hello}.
   *
   * @return the URI that a {@code GET} with a valid bearer token gets HTTP 200 from
   */
  public URI helloUri() {
    return uri.resolve("/api/hello");
  }

  /**
   * Returns how many calls under {@code /api/} were answered with a 2xx status since the start or
   * the last {@link #reset()}.
   *
   * @return the accepted calls
   */
  public long accepted() {
    return calls.accepted.get();
  }

  /**
   * Returns how many calls under {@code /api/} were answered with HTTP 401: no token, a bad
   * signature, the wrong issuer, or an expired token.
   *
   * @return the rejected calls
   */
  public long rejected() {
    return calls.rejected.get();
  }

  /**
   * Returns the {@code WWW-Authenticate} header of each rejected call, in order: for an expired
   * token, {@code Bearer error="invalid_token", error_description="... Jwt expired at ..."}.
   *
   * @return an immutable snapshot
   */
  public List<String> rejections() {
    return List.copyOf(calls.rejections);
  }

  /** Sets the counts to zero and forgets the rejections. */
  public void reset() {
    calls.accepted.set(0);
    calls.rejected.set(0);
    calls.rejections.clear();
  }

  /** Stops the server and closes its application context. Closing again does nothing. */
  @Override
  public void close() {
    context.close();
  }

  @Override
  public String toString() {
    return "ResourceServer[" + uri + "]";
  }

  /** Configures a {@link ResourceServer}; {@link #start()} starts one. */
  public static final class Builder {
    private @Nullable URI issuer;
    private @Nullable URI jwkSetUri;
    private Duration clockSkew = Duration.ZERO;

    private Builder() {}

    /**
     * Sets the issuer whose tokens are accepted: their {@code iss} claim must equal it.
     *
     * @param issuer the issuer URI
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder issuer(URI issuer) {
      this.issuer = requireNonNull(issuer, "issuer");
      return this;
    }

    /**
     * Sets where the signing keys are fetched from (once, on the first token, then cached).
     *
     * @param jwkSetUri the issuer's JWK set URI
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder jwkSetUri(URI jwkSetUri) {
      this.jwkSetUri = requireNonNull(jwkSetUri, "jwkSetUri");
      return this;
    }

    /**
     * Sets the clock skew allowed on {@code exp} and {@code nbf}; zero by default, unlike Spring
     * Security's own default of 60 seconds.
     *
     * @param clockSkew zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code clockSkew} is negative
     */
    @CanIgnoreReturnValue
    public Builder clockSkew(Duration clockSkew) {
      requireNonNull(clockSkew, "clockSkew");
      if (clockSkew.isNegative()) {
        throw new IllegalArgumentException("clockSkew must not be negative: " + clockSkew);
      }
      this.clockSkew = clockSkew;
      return this;
    }

    /**
     * Starts the server; returns once it accepts connections.
     *
     * @return the running server, to be closed
     * @throws NullPointerException if the issuer or the JWK set URI is missing
     */
    public ResourceServer start() {
      return new ResourceServer(this);
    }
  }
}
