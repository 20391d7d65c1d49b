/**
 * Tokenherd for java.net.http: {@link dev.tokenherd.httpclient.TokenherdHttpClient} sends requests
 * through an {@link java.net.http.HttpClient} with a coordinator's access token, retrying once with
 * a replacement after a 401.
 */
@NullMarked
@CheckReturnValue
package dev.tokenherd.httpclient;

import com.google.errorprone.annotations.CheckReturnValue;
import org.jspecify.annotations.NullMarked;
