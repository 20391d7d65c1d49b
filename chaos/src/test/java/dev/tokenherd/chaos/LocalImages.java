package dev.tokenherd.chaos;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.ImageNameSubstitutor;

/**
 * Maps the images the containers environment names (Docker Hub's {@code redis} and {@code
 * eclipse-temurin}) to the ones {@code .ci/docker-env} builds from Debian packages, on a machine
 * that reaches no image registry. Registered in {@code testcontainers.properties} ({@code
 * image.substitutor}), active only where {@code TOKENHERD_LOCAL_IMAGES} names the local prefix
 * ({@code tokenherd-local}); everywhere else every name passes unchanged, and Testcontainers pulls
 * as usual. An image this map does not know stays as it is (and fails to pull without a registry,
 * naming itself).
 */
public final class LocalImages extends ImageNameSubstitutor {
  /** The variable that names the local prefix; unset or blank: no substitution. */
  static final String VARIABLE = "TOKENHERD_LOCAL_IMAGES";

  // repository -> the local image's name under the prefix
  private static final Map<String, String> LOCAL =
      Map.of("redis", "redis:7.0", "eclipse-temurin", "jre:17");

  @Override
  public DockerImageName apply(DockerImageName original) {
    return substitute(original, System.getenv(VARIABLE));
  }

  /** Returns what {@code original} becomes with {@code prefix} (null or blank: unchanged). */
  static DockerImageName substitute(DockerImageName original, @Nullable String prefix) {
    if (prefix == null || prefix.isBlank()) {
      return original;
    }
    String local = LOCAL.get(original.getRepository());
    if (local == null || !original.getRegistry().isEmpty()) {
      return original;
    }
    return DockerImageName.parse(prefix.strip() + "/" + local).asCompatibleSubstituteFor(original);
  }

  /** Returns the name {@code image} is run under here (the docker CLI applies no substitutor). */
  static String resolve(String image) {
    return substitute(DockerImageName.parse(image), System.getenv(VARIABLE))
        .asCanonicalNameString();
  }

  @Override
  protected String getDescription() {
    return "Tokenherd's local images (" + VARIABLE + ", built by .ci/docker-env)";
  }
}
