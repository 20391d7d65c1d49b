package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class FakeAuthorizationServerConcurrencyTest {
  private final ExecutorService threads = Executors.newFixedThreadPool(64);
  private FakeAuthorizationServer server;

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void revokeFamilyMode_64ThreadsPresentOneRefreshToken_exactlyOneWinsAndTheFamilyIsRevoked()
      throws Exception {
    server = FakeAuthorizationServer.builder().start();
    OAuthClient client = new OAuthClient(server);
    TokenGrant seeded = server.issueTokens("read");
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> statuses = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      statuses.add(
          threads.submit(
              () -> {
                go.await();
                return client.refresh(seeded.refreshToken()).statusCode();
              }));
    }

    go.countDown();
    List<Integer> answers = new ArrayList<>();
    for (Future<Integer> status : statuses) {
      answers.add(status.get(30, TimeUnit.SECONDS));
    }

    assertThat(answers).filteredOn(s -> s == 200).hasSize(1);
    assertThat(answers).filteredOn(s -> s == 400).hasSize(63);
    ServerStats stats = server.stats();
    assertThat(stats.tokenRequests()).isEqualTo(64);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    assertThat(stats.reuseDetections()).isEqualTo(1); // later ones find the family revoked
    assertThat(stats.familiesRevoked()).isEqualTo(1);
    assertThat(stats.invalidGrants()).isEqualTo(63);
    assertThat(server.requests()).hasSize(64);
  }

  @Test
  void hundredsOfSlowRequests_areAnsweredConcurrently() throws Exception {
    server = FakeAuthorizationServer.builder().latency(Duration.ofMillis(500)).start();
    OAuthClient client = new OAuthClient(server);
    long started = System.nanoTime();
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      pending.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return client.clientCredentials("read");
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              },
              Executors.newSingleThreadExecutor()));
    }

    for (var response : pending) {
      assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    // 256 requests of 500 ms each, one at a time, would take two minutes.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(server.stats().clientCredentialsGrants()).isEqualTo(256);
  }
}
