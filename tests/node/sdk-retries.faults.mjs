// The Kiota-based @microsoft/msgraph-sdk's RetryHandler riding through injected 429s and 503s.
//
// Not part of the client suite (*.test.mjs): tests/faults/test_node_retries.py runs it against a server where it
// has first injected, for the tenant it names in LG_*, two 429s on the providers list and two 503s on their count.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import { createLearningProviderCollectionResponseFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";

import { GRAPH_SCOPES, server, userCredential } from "./support.mjs";

const ERRORS = { XXX: createODataErrorFromDiscriminatorValue };
const PROVIDERS = "{+baseurl}/employeeExperience/learningProviders";

function adapter() {
  const provider = new AzureIdentityAuthenticationProvider(
    userCredential(),
    GRAPH_SCOPES,
    undefined,
    new Set([server.hostName]),
  );
  const graph = new GraphRequestAdapter(provider);
  graph.baseUrl = server.graphUrl;
  return graph;
}

function get(urlTemplate, accept) {
  const information = new RequestInformation(HttpMethod.GET, urlTemplate, {});
  information.headers.tryAdd("Accept", accept);
  return information;
}

describe("the msgraph-sdk retry handler and injected faults", () => {
  it("lists the providers through two injected 429s", async () => {
    const page = await adapter().send(
      get(PROVIDERS, "application/json"),
      createLearningProviderCollectionResponseFromDiscriminatorValue,
      ERRORS,
    );
    assert.deepEqual(page.value, []);
  });

  it("counts the providers through two injected 503s", async () => {
    const count = await adapter().sendPrimitive(get(`${PROVIDERS}/$count`, "text/plain"), "number", ERRORS);
    assert.equal(count, 0);
  });
});
