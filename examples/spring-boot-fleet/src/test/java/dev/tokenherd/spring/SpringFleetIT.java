package dev.tokenherd.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.examples.spring.FleetApplication;
import dev.tokenherd.examples.spring.PartnerCalls;
import dev.tokenherd.spring.authserver.GrantedTokens;
import dev.tokenherd.spring.authserver.OAuthClient;
import dev.tokenherd.spring.authserver.ResourceServer;
import dev.tokenherd.spring.authserver.SpringAuthorizationServer;
import dev.tokenherd.spring.authserver.TokenEndpointRequest;
import dev.tokenherd.testkit.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;

/**
 * Three instances of an application that has only the starter and properties, sharing one real
 * redis-server, call a resource server through RestClient for 30 s while Spring Authorization
 * Server issues 6-second tokens (rotating refresh tokens): judged by the authorization server's
 * own ledger and the resource server's own count. Runs on the versions Boot manages (Lettuce
 * included), as a user's application would.
 */
final class SpringFleetIT {
  private static final Duration TOKEN_TTL = Duration.ofSeconds(6);
  private static final Duration RUN = Duration.ofSeconds(30);
  private static final int INSTANCES = 3;
  private static final int THREADS_PER_INSTANCE = 4;
  private static final String USER = "fleet-user";

  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final SpringAuthorizationServer authorizationServer =
      SpringAuthorizationServer.builder().accessTokenTtl(TOKEN_TTL).reuseRefreshTokens(false).start();
  private final ResourceServer resourceServer = ResourceServer.trusting(authorizationServer);
  private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    instances.forEach(ConfigurableApplicationContext::close);
    resourceServer.close();
    authorizationServer.close();
    redis.close();
  }

  @Test
  void clientCredentials_threeInstances_oneTokenRequestPerRefresh_noFailedCall() throws Exception {
    OAuthClient client = authorizationServer.clientCredentialsClient();
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(start(i, client, "client_credentials", null));
    }

    Totals totals = callFor(RUN);

    List<TokenEndpointRequest> requests = authorizationServer.tokenRequests();
    assertThat(totals.failed.get()).as("failed calls").isZero();
    assertThat(resourceServer.rejected()).as("calls with an expired or bad token").isZero();
    assertThat(requests).allMatch(TokenEndpointRequest::succeeded);
    assertOneRequestPerRefresh(requests);
    report("client_credentials", totals, requests);
  }

  @Test
  void login_threeInstances_rotatingRefreshTokens_neverPresentedTwice() throws Exception {
    OAuthClient client = authorizationServer.authorizationCodeClient();
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(start(i, client, "authorization_code", USER));
    }
    // The user logs in on instance 0: what Spring's login filter does with the response.
    GrantedTokens login = authorizationServer.authorizationCodeGrant();
    seed(instances.get(0), login);
    authorizationServer.reset();

    Totals totals = callFor(RUN);

    List<TokenEndpointRequest> requests = authorizationServer.tokenRequests();
    assertThat(totals.failed.get()).as("failed calls").isZero();
    assertThat(resourceServer.rejected()).as("calls with an expired or bad token").isZero();
    assertThat(authorizationServer.invalidGrants()).as("invalid_grant answers").isEmpty();
    assertThat(authorizationServer.reusedRefreshTokens()).as("refresh tokens presented twice").isEmpty();
    assertThat(requests).allMatch(r -> r.grantType().equals("refresh_token"));
    assertOneRequestPerRefresh(requests);
    report("refresh_token", totals, requests);
  }

  @Test
  void actuator_showsTokenherdHealthAndMeters() throws Exception {
    OAuthClient client = authorizationServer.clientCredentialsClient();
    ConfigurableApplicationContext web =
        new SpringApplicationBuilder(FleetApplication.class)
            .web(WebApplicationType.SERVLET)
            .run(
                asWebServer(arguments(0, client, "client_credentials", null))
                    .toArray(String[]::new));
    instances.add(web);
    assertThat(web.getBean(PartnerCalls.class).hello()).startsWith("hello");
    int port = web.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> health = get(http, port, "/actuator/health");
    HttpResponse<String> requests = get(http, port, "/actuator/metrics/tokenherd.token.requests");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"tokenherd\"").contains("\"store\":\"reachable\"");
    assertThat(health.body()).doesNotContain(authorizationServer.clientCredentialsClient().clientSecret());
    assertThat(requests.statusCode()).isEqualTo(200);
    assertThat(requests.body()).contains("\"credential\"").contains("\"value\":1.0");
    assertThat(authorizationServer.tokenRequests()).hasSize(1);
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The application as it runs on its own: a web server, for Actuator. */
  private static List<String> asWebServer(List<String> args) {
    List<String> web = new ArrayList<>(args);
    web.add("--server.port=0");
    web.add("--server.address=127.0.0.1");
    return web;
  }

  /**
   * Every token request refreshed a token that was due: over the run, at least one per expiry and
   * no two within the same refresh window (a second instance's duplicate would follow within
   * milliseconds).
   */
  private static void assertOneRequestPerRefresh(List<TokenEndpointRequest> requests) {
    long expiries = RUN.toMillis() / TOKEN_TTL.toMillis();
    assertThat(requests.size())
        .as("token requests over %s of %s tokens", RUN, TOKEN_TTL)
        .isGreaterThanOrEqualTo((int) expiries)
        .isLessThanOrEqualTo((int) (RUN.toMillis() / (TOKEN_TTL.toMillis() / 2)) + 2);
    for (int i = 1; i < requests.size(); i++) {
      Duration gap =
          Duration.between(requests.get(i - 1).receivedAt(), requests.get(i).receivedAt());
      assertThat(gap)
          .as("gap between token requests %d and %d", i - 1, i)
          .isGreaterThan(TOKEN_TTL.dividedBy(4));
    }
  }

  private ConfigurableApplicationContext start(
      int index, OAuthClient client, String grant, String principal) {
    return new SpringApplicationBuilder(FleetApplication.class)
        .web(WebApplicationType.NONE)
        .run(arguments(index, client, grant, principal).toArray(String[]::new));
  }

  private List<String> arguments(
      int index, OAuthClient client, String grant, String principal) {
    String registration = "--spring.security.oauth2.client.registration.partner.";
    List<String> args =
        new ArrayList<>(
            List.of(
                "--spring.data.redis.host=127.0.0.1",
                "--spring.data.redis.port=" + redis.port(),
                "--tokenherd.redis.namespace=spring-fleet-it",
                "--tokenherd.worker-id=instance-" + index,
                "--partner.base-url=" + resourceServer.uri(),
                registration + "client-id=" + client.clientId(),
                registration + "client-secret=" + client.clientSecret(),
                registration + "authorization-grant-type=" + grant,
                registration + "scope=api.read",
                // Boot discovers the token (and authorization) URI from the issuer's metadata.
                "--spring.security.oauth2.client.provider.partner.issuer-uri="
                    + authorizationServer.issuerUri(),
                registration + "redirect-uri=" + authorizationServer.redirectUri(),
                "--spring.main.banner-mode=off",
                "--partner.poll=false",
                "--logging.level.root=WARN"));
    if (principal != null) {
      args.add("--partner.principal=" + principal);
    }
    return args;
  }

  private static void seed(ConfigurableApplicationContext instance, GrantedTokens login) {
    var registration =
        instance.getBean(ClientRegistrationRepository.class).findByRegistrationId("partner");
    Instant now = Instant.now();
    OAuth2AuthorizedClient client =
        new OAuth2AuthorizedClient(
            registration,
            USER,
            new OAuth2AccessToken(
                OAuth2AccessToken.TokenType.BEARER,
                login.accessToken(),
                now,
                now.plus(login.expiresIn()),
                Set.of(login.scope().split(" "))),
            new OAuth2RefreshToken(login.refreshToken(), now));
    instance
        .getBean(OAuth2AuthorizedClientService.class)
        .saveAuthorizedClient(
            client, UsernamePasswordAuthenticationToken.authenticated(USER, null, List.of()));
  }

  private Totals callFor(Duration run) throws Exception {
    Totals totals = new Totals();
    long end = System.nanoTime() + run.toNanos();
    ExecutorService threads = Executors.newFixedThreadPool(INSTANCES * THREADS_PER_INSTANCE);
    List<Future<?>> callers = new ArrayList<>();
    for (ConfigurableApplicationContext instance : instances) {
      PartnerCalls partner = instance.getBean(PartnerCalls.class);
      for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
        callers.add(
            threads.submit(
                () -> {
                  while (System.nanoTime() < end) {
                    try {
                      assertThat(partner.hello()).startsWith("hello");
                      totals.ok.incrementAndGet();
                    } catch (RuntimeException | AssertionError e) {
                      if (totals.failed.incrementAndGet() == 1) {
                        totals.firstFailure = e;
                      }
                    }
                  }
                }));
      }
    }
    for (Future<?> caller : callers) {
      caller.get(run.toSeconds() + 120, TimeUnit.SECONDS);
    }
    threads.shutdown();
    if (totals.firstFailure != null) {
      throw new AssertionError(totals.failed + " calls failed; the first:", totals.firstFailure);
    }
    return totals;
  }

  private void report(String grant, Totals totals, List<TokenEndpointRequest> requests) {
    System.out.printf(
        "%s: %d instances x %d threads, %s, %s tokens: %d calls ok, %d failed, %d token requests,"
            + " %d accepted / %d rejected by the resource server%n",
        grant,
        INSTANCES,
        THREADS_PER_INSTANCE,
        RUN,
        TOKEN_TTL,
        totals.ok.get(),
        totals.failed.get(),
        requests.size(),
        resourceServer.accepted(),
        resourceServer.rejected());
  }

  private static final class Totals {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    volatile Throwable firstFailure;
  }
}
