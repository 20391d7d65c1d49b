package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenherd.coordinator.redis.RedisBackend;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Which {@link RedisBackend.Builder} calls {@code tokenherd.redis.url} and Boot's {@code
 * spring.data.redis.*} (standalone, Sentinel, Cluster) make, and which settings fail naming their
 * property; no server needed. Every secret here is one a call or a failure must never show.
 */
final class TokenherdRedisConnectionTest {
  private static final String DATA_SECRET = "data-s3cret";
  private static final String SENTINEL_SECRET = "sentinel-s3cret";

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(TokenherdAutoConfiguration.class))
          .withPropertyValues("tokenherd.backend=in-memory");

  @Test
  void springDataRedisSettings_makeTheUri_withThePasswordEncodedAndNeverShown() {
    RedisConnection connection =
        connection(
            "spring.data.redis.host=127.0.0.1",
            "spring.data.redis.port=6390",
            "spring.data.redis.database=2",
            "spring.data.redis.username=app",
            "spring.data.redis.password=p@ss:w/rd");

    assertThat(connection.uri()).isEqualTo("redis://app:p%40ss:w%2Frd@127.0.0.1:6390/2");
    assertThat(connection.calls()).containsExactly("uri(redis://***@127.0.0.1:6390/2)");
    assertThat(connection.toString()).doesNotContain("p%40ss").doesNotContain("p@ss");
  }

  @Test
  void theRedisUri_comesFromTokenherdFirst_thenSpringDataRedisUrl_thenItsParts() {
    assertThat(
            connection(
                    "spring.data.redis.url=redis://boot:6379",
                    "tokenherd.redis.url=rediss://own:6380")
                .uri())
        .isEqualTo("rediss://own:6380");
    assertThat(connection("spring.data.redis.url=redis://boot:6379").uri())
        .isEqualTo("redis://boot:6379");
    assertThat(
            connection("spring.data.redis.ssl.enabled=true", "spring.data.redis.password=pw").uri())
        .isEqualTo("rediss://:pw@localhost:6379/0");
    assertThat(connection().uri()).isEqualTo("redis://localhost:6379/0");
  }

  @Test
  void tls_followsBootsRules_enabledOrABundle_forAUrlToo() {
    assertThat(
            connection(
                    "spring.data.redis.url=redis://boot:6379", "spring.data.redis.ssl.enabled=true")
                .uri())
        .isEqualTo("rediss://boot:6379");
    assertThat(connection("spring.data.redis.ssl.bundle=redis").uri())
        .isEqualTo("rediss://localhost:6379/0");
    assertThat(
            connection("spring.data.redis.ssl.bundle=redis", "spring.data.redis.ssl.enabled=false")
                .uri())
        .isEqualTo("redis://localhost:6379/0");
  }

  @Test
  void sentinelSettings_makeTheSentinelCalls_withBothPasswordsHidden() {
    RedisConnection connection =
        connection(
            "spring.data.redis.sentinel.master=mymaster",
            "spring.data.redis.sentinel.nodes=10.0.0.1:26379, 10.0.0.2:26380,::1:26381",
            "spring.data.redis.sentinel.username=watcher",
            "spring.data.redis.sentinel.password=" + SENTINEL_SECRET,
            "spring.data.redis.username=app",
            "spring.data.redis.password=" + DATA_SECRET,
            "spring.data.redis.database=2",
            "spring.data.redis.ssl.enabled=true",
            "spring.data.redis.host=ignored.example");

    assertThat(connection.uri()).isNull();
    assertThat(connection.calls())
        .containsExactly(
            "sentinel(mymaster, [10.0.0.1:26379, 10.0.0.2:26380, [::1]:26381])",
            "credentials(app, ***)",
            "sentinelCredentials(watcher, ***)",
            "tls(true)",
            "database(2)");
    assertThat(connection.toString()).doesNotContain(DATA_SECRET).doesNotContain(SENTINEL_SECRET);
    assertThat(
            connection(
                    "spring.data.redis.sentinel.master=mymaster",
                    "spring.data.redis.sentinel.nodes[0]=127.0.0.1:26379")
                .calls())
        .as("no password, no database: no such calls")
        .containsExactly("sentinel(mymaster, [127.0.0.1:26379])");
  }

  @Test
  void clusterSettings_makeTheClusterCall_andMaxRedirectsIsIgnored() {
    RedisConnection connection =
        connection(
            "spring.data.redis.cluster.nodes=10.0.0.1:7000,10.0.0.2:7001",
            "spring.data.redis.cluster.max-redirects=3",
            "spring.data.redis.password=" + DATA_SECRET);

    assertThat(connection.calls())
        .containsExactly("cluster([10.0.0.1:7000, 10.0.0.2:7001])", "credentials(null, ***)");
    assertThat(connection.toString()).doesNotContain(DATA_SECRET);
  }

  @Test
  void sentinelAndClusterBothSet_takeSentinel_asBootDoes() {
    assertThat(
            connection(
                    "spring.data.redis.cluster.nodes=10.0.0.1:7000",
                    "spring.data.redis.sentinel.master=mymaster",
                    "spring.data.redis.sentinel.nodes=10.0.0.1:26379")
                .calls())
        .containsExactly("sentinel(mymaster, [10.0.0.1:26379])");
  }

  @Test
  void springDataRedisUrl_givesSentinelAndClusterTheirCredentials_tokenherdsUrlWinsOverAll() {
    String url = "spring.data.redis.url=rediss://app:" + DATA_SECRET + "@not-used:6379/3";
    assertThat(
            connection(
                    url,
                    "spring.data.redis.password=other",
                    "spring.data.redis.sentinel.master=mymaster",
                    "spring.data.redis.sentinel.nodes=10.0.0.1:26379")
                .calls())
        .containsExactly(
            "sentinel(mymaster, [10.0.0.1:26379])",
            "credentials(app, ***)",
            "tls(true)",
            "database(3)");
    assertThat(
            connection(
                    "spring.data.redis.url=redis://:" + DATA_SECRET + "@not-used:6379",
                    "spring.data.redis.cluster.nodes=10.0.0.1:7000")
                .calls())
        .containsExactly("cluster([10.0.0.1:7000])", "credentials(null, ***)");
    assertThat(
            connection(
                    "tokenherd.redis.url=redis://own:6380",
                    "spring.data.redis.sentinel.master=mymaster",
                    "spring.data.redis.cluster.nodes=10.0.0.1:7000")
                .calls())
        .containsExactly("uri(redis://own:6380)");
    assertThat(RedisUrl.parse("spring.data.redis.url", "redis://app:" + DATA_SECRET + "@h/1"))
        .hasToString("RedisUrl[user=app, password=***, database=1]");
  }

  @Test
  void badTopologySettings_failNamingTheProperty_neverASecret() {
    String password = "spring.data.redis.password=" + DATA_SECRET;
    String master = "spring.data.redis.sentinel.master=mymaster";
    String sentinels = "spring.data.redis.sentinel.nodes=127.0.0.1:26379";
    String cluster = "spring.data.redis.cluster.nodes=127.0.0.1:7000";
    assertFails(
        "spring.data.redis.sentinel.master",
        "blank",
        password,
        sentinels,
        "spring.data.redis.sentinel.master=");
    assertFails("spring.data.redis.sentinel.master", "not set", sentinels);
    assertFails(
        "spring.data.redis.sentinel.master", "not set", "spring.data.redis.sentinel.password=x");
    assertFails("spring.data.redis.sentinel.nodes", "no node", master, password);
    assertFails(
        "spring.data.redis.sentinel.nodes",
        "'localhost' is not host:port",
        master,
        "spring.data.redis.sentinel.nodes=localhost");
    assertFails(
        "spring.data.redis.sentinel.nodes",
        "is not host:port",
        master,
        "spring.data.redis.sentinel.nodes=h:1,redis://h:2");
    assertFails(
        "spring.data.redis.sentinel.nodes",
        "is not host:port",
        master,
        "spring.data.redis.sentinel.nodes=h:70000");
    assertFails(
        "spring.data.redis.cluster.nodes",
        "user part",
        "spring.data.redis.cluster.nodes=:" + DATA_SECRET + "@h:7000");
    assertFails(
        "spring.data.redis.cluster.nodes", "no node", "spring.data.redis.cluster.max-redirects=3");
    assertFails(
        "spring.data.redis.database",
        "database 0 only",
        cluster,
        password,
        "spring.data.redis.database=1");
    assertFails(
        "spring.data.redis.url",
        "database 0 only",
        cluster,
        "spring.data.redis.url=redis://:" + DATA_SECRET + "@h:1/2");
    assertFails(
        "spring.data.redis.url",
        "not a database",
        master,
        sentinels,
        "spring.data.redis.url=redis://:" + DATA_SECRET + "@h:1/x");
    assertFails(
        "spring.data.redis.url",
        "not a URI",
        cluster,
        "spring.data.redis.url=redis://:" + DATA_SECRET + "@h :1");
    assertFails(
        "spring.data.redis.url", "not a redis://", cluster, "spring.data.redis.url=http://h:1");
    assertFails(
        "spring.data.redis.masterreplica.nodes",
        "not supported",
        "spring.data.redis.masterreplica.nodes=h:1,h:2");
  }

  @Test
  void aTopologyTheBuilderRefuses_failsStartUpWithAnAnalysisNamingTheProperty() {
    runner
        .withPropertyValues(
            "tokenherd.backend=redis",
            "spring.data.redis.cluster.nodes=bad host:7000",
            "spring.data.redis.password=" + DATA_SECRET)
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  TokenherdAutoConfigurationTest.analyze(context.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("spring.data.redis.cluster.nodes")
                  .doesNotContain(DATA_SECRET);
              assertThat(analysis.getAction()).contains("spring.data.redis.cluster.nodes");
            });
    // The library hides a URL's password; a '/' in it must not make it show either.
    runner
        .withPropertyValues("tokenherd.backend=redis", "tokenherd.redis.url=redis://:pa/ss@host:1")
        .run(
            context ->
                assertThat(
                        TokenherdAutoConfigurationTest.analyze(context.getStartupFailure())
                            .getDescription())
                    .contains("tokenherd.redis.url")
                    .doesNotContain("pa/ss"));
  }

  private void assertFails(String property, String problem, String... properties) {
    runner
        .withPropertyValues(properties)
        .run(
            context -> {
              TokenherdConfigurationException failure =
                  catchThrowableOfType(
                      TokenherdConfigurationException.class, () -> connection(context));
              assertThat(failure).as("a failure for %s", String.join(", ", properties)).isNotNull();
              assertThat(failure.property()).isEqualTo(property);
              assertThat(failure.getMessage()).contains(problem).doesNotContain(DATA_SECRET);
              assertThat(failure.action()).isNotBlank().doesNotContain(DATA_SECRET);
            });
  }

  private RedisConnection connection(String... properties) {
    RedisConnection[] connection = new RedisConnection[1];
    runner.withPropertyValues(properties).run(context -> connection[0] = connection(context));
    return connection[0];
  }

  private static RedisConnection connection(
      org.springframework.context.ApplicationContext context) {
    return RedisConnection.of(context.getBean(TokenherdProperties.class), context.getEnvironment());
  }
}
