// The Kiota-based @microsoft/msgraph-sdk with @microsoft/kiota-authentication-azure: the whole provider flow.
//
// npm has no employeeExperience request builders for it (the SDK ships its models and core only, and per-area
// packages that do not include this one), so every call goes through the SDK's request adapter, with the
// SDK's own models, serializers, PageIterator and BatchRequestContent, as a vendor writes it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { inspect } from "node:util";

import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import {
  createLearningContentFromDiscriminatorValue,
  createLearningCourseActivityCollectionResponseFromDiscriminatorValue,
  createLearningCourseActivityFromDiscriminatorValue,
  createLearningProviderFromDiscriminatorValue,
  serializeLearningAssignment,
  serializeLearningContent,
  serializeLearningProvider,
  serializeLearningSelfInitiatedCourse,
} from "@microsoft/msgraph-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";
import { BatchRequestContent, PageIterator } from "@microsoft/msgraph-sdk-core";

import {
  BAD_REGISTRATION,
  GRAPH_SCOPES,
  UNKNOWN_ACTIVITY,
  appCredential,
  contentBody,
  providerBody,
  server,
  unique,
  userCredential,
} from "./support.mjs";

const ERRORS = { XXX: createODataErrorFromDiscriminatorValue };
const PROVIDERS = "{+baseurl}/employeeExperience/learningProviders";
const PROVIDER = `${PROVIDERS}/{learningProvider%2Did}`;
const CONTENT_BY_EXTERNAL_ID = `${PROVIDER}/learningContents(externalId='{externalId}')`;
const CONTENT = `${PROVIDER}/learningContents/{learningContent%2Did}`;
const ACTIVITIES = `${PROVIDER}/learningCourseActivities{?%24filter,%24top}`;
const ACTIVITY = `${PROVIDER}/learningCourseActivities/{learningCourseActivity%2Did}`;
const TENANT_ACTIVITY = "{+baseurl}/employeeExperience/learningCourseActivities/{learningCourseActivity%2Did}";
const TENANT_ACTIVITY_BY_EXTERNAL_ID =
  "{+baseurl}/employeeExperience/learningCourseActivities(externalcourseActivityId='{externalcourseActivityId}')";
const USER_ACTIVITIES = "{+baseurl}/users/{user%2Did}/employeeExperience/learningCourseActivities";
const MY_ACTIVITIES = "{+baseurl}/me/employeeExperience/learningCourseActivities";

/** A request adapter as a Node vendor sets one up for learninggraph. */
function adapterFor(credential, allowedHost = server.hostName) {
  const provider = new AzureIdentityAuthenticationProvider(credential, GRAPH_SCOPES, undefined, new Set([allowedHost]));
  const adapter = new GraphRequestAdapter(provider);
  adapter.baseUrl = server.graphUrl;
  return adapter;
}

/** A request the way generated request builders make one: a URL template and its parameters. */
function request(method, urlTemplate, pathParameters = {}, query = undefined) {
  const information = new RequestInformation(method, urlTemplate, pathParameters);
  information.headers.tryAdd("Accept", "application/json");
  if (query !== undefined) {
    information.setQueryStringParametersFromRawObject(query, { filter: "%24filter", top: "%24top" });
  }
  return information;
}

function withBody(adapter, information, body, serializer) {
  information.setContentFromParsable(adapter, "application/json", body, serializer);
  return information;
}

async function odataError(promise) {
  try {
    await promise;
  } catch (error) {
    if (!error.errorEscaped) {
      assert.fail(`not an ODataError: ${inspect(error)}`);
    }
    return error;
  }
  assert.fail("the call succeeded");
}

function assertODataError(error, expected) {
  assert.equal(error.responseStatusCode, expected.status);
  assert.equal(error.errorEscaped.code, expected.code);
  if (expected.message instanceof RegExp) {
    assert.match(error.errorEscaped.message, expected.message);
    assert.match(error.message, expected.message);
  } else {
    assert.equal(error.errorEscaped.message, expected.message);
    assert.equal(error.message, expected.message);
  }
}

function assignment(contentId, externalId) {
  return {
    odataType: "#microsoft.graph.learningAssignment",
    learnerUserId: server.userId,
    learningContentId: contentId,
    assignmentType: "required",
    status: "notStarted",
    assignedDateTime: new Date("2024-05-11T22:57:17Z"),
    dueDateTime: { dateTime: "2024-09-22T16:05:00.0000000", timeZone: "UTC" },
    notes: { contentType: "text", content: "required assignment added for user" },
    externalcourseActivityId: externalId,
  };
}

function selfInitiatedCourse(contentId, externalId) {
  return {
    odataType: "#microsoft.graph.learningSelfInitiatedCourse",
    learnerUserId: server.userId,
    learningContentId: contentId,
    status: "inProgress",
    startedDateTime: new Date("2024-05-11T22:57:17Z"),
    completionPercentage: 10,
    externalcourseActivityId: externalId,
  };
}

describe("@microsoft/msgraph-sdk (Kiota) with @microsoft/kiota-authentication-azure", () => {
  const admin = adapterFor(userCredential());
  const app = adapterFor(appCredential());
  const externalIds = { assignment: unique("assignment"), course: unique("course") };
  const contents = [];
  const created = {};
  let providerId;
  const at = (extra = {}) => ({ "learningProvider%2Did": providerId, ...extra });

  it("registers a provider with a delegated token and enables its sync", async () => {
    const body = providerBody(unique("Node msgraph-sdk"));
    const registered = await admin.send(
      withBody(admin, request(HttpMethod.POST, PROVIDERS), body, serializeLearningProvider),
      createLearningProviderFromDiscriminatorValue,
      ERRORS,
    );
    assert.equal(registered.isCourseActivitySyncEnabled, false);
    providerId = registered.id;

    const enable = withBody(admin, request(HttpMethod.PATCH, PROVIDER, at()), { isCourseActivitySyncEnabled: true }, serializeLearningProvider);
    await admin.sendNoResponseContent(enable, ERRORS);

    const read = await admin.send(request(HttpMethod.GET, PROVIDER, at()), createLearningProviderFromDiscriminatorValue, ERRORS);
    assert.equal(read.isCourseActivitySyncEnabled, true);
    assert.equal(read.displayName, body.displayName);
  });

  it("upserts learning contents by externalId", async () => {
    const upsert = (externalId, title) =>
      app.send(
        withBody(app, request(HttpMethod.PATCH, CONTENT_BY_EXTERNAL_ID, at({ externalId })), contentBody(title), serializeLearningContent),
        createLearningContentFromDiscriminatorValue,
        ERRORS,
      );
    const first = await upsert("kiota-101", "Kiota 101");
    const again = await upsert("kiota-101", "Kiota 101, second edition");

    assert.equal(again.id, first.id);
    const read = await app.send(
      request(HttpMethod.GET, CONTENT_BY_EXTERNAL_ID, at({ externalId: "kiota-101" })),
      createLearningContentFromDiscriminatorValue,
      ERRORS,
    );
    assert.equal(read.title, "Kiota 101, second edition");
    contents.push(first.id);
    for (const externalId of ["kiota-201", "kiota-301", "kiota-401"]) {
      contents.push((await upsert(externalId, externalId)).id);
    }
  });

  it("creates an assignment and a self-initiated course with the derived types' serializers", async () => {
    // The base serializer, serializeLearningCourseActivity, leaves out the derived type's properties.
    const post = (body, serializer) =>
      app.send(
        withBody(app, request(HttpMethod.POST, ACTIVITIES, at()), body, serializer),
        createLearningCourseActivityFromDiscriminatorValue,
        ERRORS,
      );
    created.assignment = await post(assignment(contents[0], externalIds.assignment), serializeLearningAssignment);
    created.course = await post(selfInitiatedCourse(contents[1], externalIds.course), serializeLearningSelfInitiatedCourse);

    assert.equal(created.assignment.odataType, "#microsoft.graph.learningAssignment");
    assert.equal(created.assignment.assignmentType, "required");
    assert.equal(created.assignment.notes.content, "required assignment added for user");
    assert.equal(created.course.odataType, "#microsoft.graph.learningSelfInitiatedCourse");
    assert.equal(created.course.startedDateTime.toISOString(), "2024-05-11T22:57:17.000Z");
  });

  it("gets an activity by id and by externalcourseActivityId", async () => {
    const byId = await app.send(
      request(HttpMethod.GET, TENANT_ACTIVITY, { "learningCourseActivity%2Did": created.assignment.id }),
      createLearningCourseActivityFromDiscriminatorValue,
      ERRORS,
    );
    const byExternalId = await app.send(
      request(HttpMethod.GET, TENANT_ACTIVITY_BY_EXTERNAL_ID, { externalcourseActivityId: externalIds.course }),
      createLearningCourseActivityFromDiscriminatorValue,
      ERRORS,
    );

    assert.equal(byId.externalcourseActivityId, externalIds.assignment);
    assert.equal(byId.dueDateTime.timeZone, "UTC");
    assert.equal(byExternalId.id, created.course.id);
  });

  it("patches an activity", async () => {
    const change = {
      odataType: "#microsoft.graph.learningAssignment",
      status: "completed",
      completionPercentage: 100,
      completedDateTime: new Date("2024-06-01T10:00:00Z"),
    };
    const path = at({ "learningCourseActivity%2Did": created.assignment.id });
    await app.sendNoResponseContent(withBody(app, request(HttpMethod.PATCH, ACTIVITY, path), change, serializeLearningAssignment), ERRORS);

    const read = await app.send(request(HttpMethod.GET, ACTIVITY, path), createLearningCourseActivityFromDiscriminatorValue, ERRORS);
    assert.equal(read.status, "completed");
    assert.equal(read.completionPercentage, 100);
  });

  it("lists with $filter and $top, following @odata.nextLink with PageIterator", async () => {
    created.extra = [];
    for (const [index, contentId] of contents.slice(2).entries()) {
      const extra = await app.send(
        withBody(app, request(HttpMethod.POST, ACTIVITIES, at()), selfInitiatedCourse(contentId, unique(`course-${index}`)), serializeLearningSelfInitiatedCourse),
        createLearningCourseActivityFromDiscriminatorValue,
        ERRORS,
      );
      created.extra.push(extra.id);
    }
    const firstPage = await app.send(
      request(HttpMethod.GET, ACTIVITIES, at(), { filter: "status eq 'inProgress'", top: 2 }),
      createLearningCourseActivityCollectionResponseFromDiscriminatorValue,
      ERRORS,
    );
    assert.equal(firstPage.value.length, 2);
    assert.ok(firstPage.odataNextLink.startsWith(`${server.graphUrl}/`), firstPage.odataNextLink);

    const seen = [];
    const pages = new PageIterator(
      app,
      firstPage,
      (activity) => {
        seen.push(activity);
        return true;
      },
      createLearningCourseActivityCollectionResponseFromDiscriminatorValue,
      ERRORS,
    );
    await pages.iterate();

    assert.equal(seen.length, 3);
    assert.ok(seen.every((activity) => activity.status === "inProgress"));
    assert.equal(new Set(seen.map((activity) => activity.id)).size, 3);
    assert.equal(pages.getPagingState(), "Complete");
  });

  it("sends a $batch built with BatchRequestContent", async () => {
    // Its steps carry no body: BatchRequestContent (msgraph-sdk-core 1.0.0-preview.17) drops each request's
    // headers and writes every body as {}, so writes with a body go one by one; reads and deletes batch.
    const extra = at({ "learningCourseActivity%2Did": created.extra[0] });
    const batch = new BatchRequestContent(app, ERRORS);
    const read = batch.addBatchRequest(request(HttpMethod.GET, ACTIVITY, at({ "learningCourseActivity%2Did": created.course.id })), "read");
    const remove = batch.addBatchRequest(request(HttpMethod.DELETE, ACTIVITY, extra), "remove");
    remove.dependsOn = [read.id];
    const unknown = at({ "learningCourseActivity%2Did": randomUUID() });
    const missing = batch.addBatchRequest(request(HttpMethod.GET, ACTIVITY, unknown), "missing");
    missing.dependsOn = [remove.id];

    const answer = await batch.postAsync();

    const statuses = await answer.getResponsesStatusCodes();
    assert.deepEqual(Object.fromEntries(statuses), { read: 200, remove: 204, missing: 404 });
    // Its BatchResponseContent reads a response body only when it is base64 text; Graph sends JSON bodies as
    // JSON, so they read as undefined there.
    assert.equal(answer.getResponseById("read").body, undefined);
    const gone = await odataError(app.send(request(HttpMethod.GET, ACTIVITY, extra), createLearningCourseActivityFromDiscriminatorValue, ERRORS));
    assertODataError(gone, UNKNOWN_ACTIVITY);
  });

  it("shows the learner's activities at /users/{id} and /me", async () => {
    const ids = [created.assignment.id, created.course.id];
    const theirs = await admin.send(
      request(HttpMethod.GET, USER_ACTIVITIES, { "user%2Did": server.userId }),
      createLearningCourseActivityCollectionResponseFromDiscriminatorValue,
      ERRORS,
    );
    const mine = await admin.send(request(HttpMethod.GET, MY_ACTIVITIES), createLearningCourseActivityCollectionResponseFromDiscriminatorValue, ERRORS);

    for (const view of [theirs, mine]) {
      const listed = new Set(view.value.map((activity) => activity.id));
      assert.ok(ids.every((id) => listed.has(id)), `missing from ${JSON.stringify([...listed])}`);
      assert.ok(view.value.every((activity) => activity.learnerUserId === server.userId));
    }
  });

  it("surfaces Graph's errors as ODataError with Graph's status, code and message", async () => {
    const unregistered = await odataError(
      app.send(
        request(HttpMethod.GET, ACTIVITIES, { "learningProvider%2Did": randomUUID() }),
        createLearningCourseActivityCollectionResponseFromDiscriminatorValue,
        ERRORS,
      ),
    );
    const unknown = await odataError(
      app.send(
        request(HttpMethod.GET, TENANT_ACTIVITY, { "learningCourseActivity%2Did": randomUUID() }),
        createLearningCourseActivityFromDiscriminatorValue,
        ERRORS,
      ),
    );

    assertODataError(unregistered, BAD_REGISTRATION);
    assertODataError(unknown, UNKNOWN_ACTIVITY);
    assert.ok(unknown.errorEscaped.innerError.requestId, "Graph's inner error names the request");
  });

  it("deletes the activities, a content and the provider", async () => {
    const activity = at({ "learningCourseActivity%2Did": created.assignment.id });
    await app.sendNoResponseContent(request(HttpMethod.DELETE, ACTIVITY, activity), ERRORS);
    await app.sendNoResponseContent(
      request(HttpMethod.DELETE, TENANT_ACTIVITY, { "learningCourseActivity%2Did": created.course.id }),
      ERRORS,
    );
    const content = at({ "learningContent%2Did": contents[0] });
    await app.sendNoResponseContent(request(HttpMethod.DELETE, CONTENT, content), ERRORS);

    const gone = await odataError(app.send(request(HttpMethod.GET, ACTIVITY, activity), createLearningCourseActivityFromDiscriminatorValue, ERRORS));
    assertODataError(gone, UNKNOWN_ACTIVITY);
    const contentGone = await odataError(app.send(request(HttpMethod.GET, CONTENT, content), createLearningContentFromDiscriminatorValue, ERRORS));
    assert.equal(contentGone.responseStatusCode, 404);
    await admin.sendNoResponseContent(request(HttpMethod.DELETE, PROVIDER, at()), ERRORS);
    const providerGone = await odataError(admin.send(request(HttpMethod.GET, PROVIDER, at()), createLearningProviderFromDiscriminatorValue, ERRORS));
    assert.equal(providerGone.responseStatusCode, 404);
  });

  it("attaches no token when allowedHosts names the port too: Graph answers 401", async () => {
    const withPort = adapterFor(appCredential(), new URL(server.origin).host);

    const error = await odataError(
      withPort.send(
        request(HttpMethod.GET, TENANT_ACTIVITY, { "learningCourseActivity%2Did": randomUUID() }),
        createLearningCourseActivityFromDiscriminatorValue,
        ERRORS,
      ),
    );

    assert.equal(error.responseStatusCode, 401);
    assert.equal(error.errorEscaped.code, "InvalidAuthenticationToken");
  });
});
