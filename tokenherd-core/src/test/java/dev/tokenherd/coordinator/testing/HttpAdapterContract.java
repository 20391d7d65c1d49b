package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every HTTP client adapter (OkHttp, java.net.http) must do with a coordinator's token, over
 * real HTTP on loopback: add it, answer a 401 to it with one refresh and one retry, and turn a
 * revoked credential into one typed error. Judged by the fake authorization server's counters and,
 * where a resource must answer what the fake server's own does not (a 401 to a valid token, another
 * scheme's challenge), by a {@link ScriptedResource}. Where a retry would be wrong, a 200 waits for
 * it, so that a wrong retry fails an assertion instead of hanging.
 *
 * <p>Adapters' tests extend this and supply a client for a coordinator, and the coordinator's error
 * in what their client throws.
 */
public abstract class HttpAdapterContract {
  /** For the contract's subclasses, one per adapter (or per way of calling it). */
  protected HttpAdapterContract() {}

  /** A GET through the adapter under test. */
  @FunctionalInterface
  public interface Client {
    /**
     * Sends {@code GET uri}, with {@code authorization} as its {@code Authorization} header if not
     * null, and returns the response the adapter returns; throws what the adapter throws.
     */
    Answer get(URI uri, @Nullable String authorization) throws Exception;
  }

  /**
   * The status and the body (read by the caller's handler) of the response the adapter returned.
   */
  public record Answer(int status, String body) {}

  /**
   * Returns a client of the adapter under test that authorizes requests with {@code coordinator}.
   */
  protected abstract Client client(TokenCoordinator coordinator);

  /**
   * Returns the coordinator's error carried by what the adapter threw, asserting that it carries
   * one as the adapter documents.
   */
  protected abstract TokenRefreshException refreshErrorOf(Throwable thrown);

  private static final String BEARER_INVALID_TOKEN = "Bearer error=\"invalid_token\"";

  protected FakeServerHerd herd = FakeServerHerd.start();
  protected final ScriptedResource resource = new ScriptedResource();
  private Client client;

  @BeforeEach
  void startClient() {
    client = client(herd.coordinator());
  }

  @AfterEach
  void closeServers() {
    resource.close();
    herd.close();
  }

  private Answer getResource() throws Exception {
    return client.get(herd.server().resourceEndpoint(), null);
  }

  private Answer getScripted(@Nullable String authorization) throws Exception {
    return client.get(resource.uri("/api"), authorization);
  }

  // --- against the fake server's protected resource ------------------------------------------

  @Test
  void freshToken_isAuthorized_withoutATokenRequest() throws Exception {
    herd.seedValid();

    assertThat(getResource().status()).isEqualTo(200);

    ServerStats stats = herd.server().stats();
    assertThat(stats.resourceRequests()).isEqualTo(1);
    assertThat(stats.resourceRejections()).isZero();
    assertThat(stats.tokenRequests()).isZero();
  }

  @Test
  void rejectedToken_refreshesOnce_andRetriesOnce() throws Exception {
    herd.seedRejected();

    assertThat(getResource().status()).isEqualTo(200);

    ServerStats stats = herd.server().stats();
    assertThat(stats.resourceRequests()).isEqualTo(2);
    assertThat(stats.resourceRejections()).isEqualTo(1);
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    // the next call uses the replacement at once
    assertThat(getResource().status()).isEqualTo(200);
    assertThat(herd.server().stats().tokenRequests()).isEqualTo(1);
  }

  @Test
  void revokedCredential_failsWithOneTypedError_andNoLoop() {
    TokenGrant grant = herd.seedRejected();
    herd.server().revokeFamilyOf(grant.refreshToken());

    TokenRefreshException error = refreshErrorOf(catchThrowable(this::getResource));

    assertThat(error).isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(error.getMessage())
        .contains(FakeServerHerd.KEY.name())
        .doesNotContain(FakeServerHerd.UNKNOWN_ACCESS_TOKEN, grant.refreshToken());
    ServerStats stats = herd.server().stats();
    assertThat(stats.resourceRequests()).isEqualTo(1);
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.invalidGrants()).isEqualTo(1);
    // The credential is known revoked: the next call fails before it is sent, without a token
    // request.
    assertThat(refreshErrorOf(catchThrowable(this::getResource)))
        .isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(herd.server().stats().resourceRequests()).isEqualTo(1);
    assertThat(herd.server().stats().tokenRequests()).isEqualTo(1);
  }

  @Test
  void noCredentialSeeded_failsWithATypedError_beforeSending() {
    assertThat(refreshErrorOf(catchThrowable(this::getResource)))
        .isInstanceOf(CredentialNotFoundException.class);
    assertThat(herd.server().stats().resourceRequests()).isZero();
  }

  @Test
  void concurrentCalls_rejectedToken_shareOneRefresh() throws Exception {
    herd.seedRejected();
    int callers = 16;
    CyclicBarrier start = new CyclicBarrier(callers);
    ExecutorService threads = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Answer>> answers = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        answers.add(
            threads.submit(
                () -> {
                  start.await(5, TimeUnit.SECONDS);
                  return getResource();
                }));
      }
      for (Future<Answer> answer : answers) {
        assertThat(answer.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
    } finally {
      threads.shutdownNow();
    }

    ServerStats stats = herd.server().stats();
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    // every 401 was the seeded token's, each retried once with the one replacement
    assertThat(stats.resourceRequests()).isEqualTo(callers + stats.resourceRejections());
  }

  // --- against a scripted resource -----------------------------------------------------------

  @Test
  void addsTheTokenAsBearer() throws Exception {
    String token = herd.seedValid().accessToken();
    resource.enqueue(200);

    Answer answer = getScripted(null);

    assertThat(answer).isEqualTo(new Answer(200, "body 200"));
    assertThat(resource.takeAuthorization()).isEqualTo("Bearer " + token);
  }

  @Test
  void replacementRejectedToo_isNotRetriedAgain() throws Exception {
    herd.seedRejected();
    resource.enqueue(401, "WWW-Authenticate", BEARER_INVALID_TOKEN);
    resource.enqueue(401, "WWW-Authenticate", BEARER_INVALID_TOKEN);
    resource.enqueue(200);

    assertThat(getScripted(null)).isEqualTo(new Answer(401, "body 401"));

    assertThat(resource.requestCount()).isEqualTo(2);
    assertThat(resource.takeAuthorization())
        .isEqualTo("Bearer " + FakeServerHerd.UNKNOWN_ACCESS_TOKEN);
    String replacement = resource.takeAuthorization();
    assertThat(replacement).startsWith("Bearer ");
    assertThat(herd.server().isAccessTokenValid(replacement.substring("Bearer ".length())))
        .isTrue();
    assertThat(herd.server().stats().tokenRequests()).isEqualTo(1);
  }

  @Test
  void ownAuthorization_isLeftAlone_andItsRejectionIsNotRetried() throws Exception {
    herd.seedValid();
    resource.enqueue(401, "WWW-Authenticate", "Bearer");
    resource.enqueue(200);

    assertThat(getScripted("Bearer callers-own").status()).isEqualTo(401);

    assertThat(resource.takeAuthorization()).isEqualTo("Bearer callers-own");
    assertThat(resource.requestCount()).isEqualTo(1);
    assertThat(herd.server().stats().tokenRequests()).isZero();
  }

  @Test
  void unchallenged401_isRetried() throws Exception {
    herd.seedRejected();
    resource.enqueue(401);
    resource.enqueue(200);

    assertThat(getScripted(null)).isEqualTo(new Answer(200, "body 200"));

    assertThat(resource.requestCount()).isEqualTo(2);
    assertThat(herd.server().stats().refreshEvents()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Basic realm=\"api\"",
        "Bearer error=\"insufficient_scope\", scope=\"admin\"",
        "Bearer error=\"invalid_request\""
      })
  void a401ThatAnotherTokenCannotCure_isNotRetried(String challenge) throws Exception {
    herd.seedValid();
    resource.enqueue(401, "WWW-Authenticate", challenge);
    resource.enqueue(200);

    assertThat(getScripted(null)).isEqualTo(new Answer(401, "body 401"));

    assertThat(resource.requestCount()).isEqualTo(1);
    assertThat(herd.server().stats().tokenRequests()).isZero();
  }

  @Test
  void sameTokenAfterTheRefresh_givesUp() throws Exception {
    herd.close();
    ScriptedTokenEndpoint endpoint = FakeServerHerd.sameTokenEndpoint();
    herd = FakeServerHerd.start(endpoint);
    client = client(herd.coordinator());
    herd.seedRejected();
    resource.enqueue(401);
    resource.enqueue(200);

    assertThat(getScripted(null)).isEqualTo(new Answer(401, "body 401"));

    assertThat(resource.requestCount()).isEqualTo(1);
    assertThat(endpoint.requests()).hasSize(2);
  }
}
