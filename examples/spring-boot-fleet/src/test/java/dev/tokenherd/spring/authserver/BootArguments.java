package dev.tokenherd.spring.authserver;

/**
 * The command-line arguments that every fixture application starts with. Command-line arguments
 * outrank {@code application.properties}, environment variables and system properties, and the
 * config name matches no file, so another test's configuration never reaches a fixture.
 */
final class BootArguments {
  private BootArguments() {}

  static String[] forApplication(String name) {
    return new String[] {
      "--spring.config.name=" + name + "-fixture-has-no-config-file",
      "--spring.application.name=" + name,
      "--spring.main.banner-mode=off",
      "--spring.main.log-startup-info=false",
      "--spring.jmx.enabled=false",
      "--server.address=127.0.0.1",
      "--server.port=0",
      // The fixture closes between tests: no grace period for in-flight requests.
      "--server.shutdown=immediate",
      "--logging.level.root=WARN",
    };
  }
}
