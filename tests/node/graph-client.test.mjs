// @microsoft/microsoft-graph-client 3 with its TokenCredentialAuthenticationProvider: the whole provider flow.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";

import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  PageIterator,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

import {
  BAD_REGISTRATION,
  GRAPH_SCOPES,
  UNKNOWN_ACTIVITY,
  appCredential,
  assignmentBody,
  contentBody,
  providerBody,
  selfInitiatedBody,
  server,
  unique,
  userCredential,
} from "./support.mjs";

/** A client as a Node vendor sets one up for learninggraph: base URL and the host name its token goes to. */
function graphClient(credential, customHost = server.hostName) {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: GRAPH_SCOPES }),
    baseUrl: server.origin,
    defaultVersion: "v1.0",
    customHosts: new Set([customHost]),
  });
}

async function graphError(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GraphError, `not a GraphError: ${error}`);
    return error;
  }
  assert.fail("the call succeeded");
}

function assertGraphError(error, expected) {
  assert.equal(error.statusCode, expected.status);
  assert.equal(error.code, expected.code);
  if (expected.message instanceof RegExp) {
    assert.match(error.message, expected.message);
  } else {
    assert.equal(error.message, expected.message);
  }
}

describe("@microsoft/microsoft-graph-client 3 with TokenCredentialAuthenticationProvider", () => {
  const admin = graphClient(userCredential());
  const app = graphClient(appCredential());
  const externalIds = { assignment: unique("assignment"), course: unique("course") };
  let provider;
  let activities;
  const contents = [];
  const created = {};

  it("registers a provider with a delegated token and enables its sync", async () => {
    const registered = await admin.api("/employeeExperience/learningProviders").post(providerBody(unique("Node graph-client")));
    assert.equal(registered.isCourseActivitySyncEnabled, false);

    await admin.api(`/employeeExperience/learningProviders/${registered.id}`).patch({ isCourseActivitySyncEnabled: true });

    const read = await admin.api(`/employeeExperience/learningProviders/${registered.id}`).get();
    assert.equal(read.isCourseActivitySyncEnabled, true);
    provider = `/employeeExperience/learningProviders/${registered.id}`;
    activities = `${provider}/learningCourseActivities`;
  });

  it("upserts learning contents by externalId", async () => {
    const first = await app.api(`${provider}/learningContents(externalId='node-101')`).patch(contentBody("Node 101"));
    const again = await app.api(`${provider}/learningContents(externalId='node-101')`).patch(contentBody("Node 101, second edition"));

    assert.equal(again.id, first.id);
    const read = await app.api(`${provider}/learningContents(externalId='node-101')`).get();
    assert.equal(read.title, "Node 101, second edition");
    assert.equal(read.externalId, "node-101");
    contents.push(first.id);
    for (const externalId of ["node-201", "node-301", "node-401"]) {
      contents.push((await app.api(`${provider}/learningContents(externalId='${externalId}')`).patch(contentBody(externalId))).id);
    }
  });

  it("creates an assignment and a self-initiated course", async () => {
    created.assignment = await app.api(activities).post(assignmentBody(contents[0], externalIds.assignment));
    created.course = await app.api(activities).post(selfInitiatedBody(contents[1], externalIds.course));

    assert.equal(created.assignment["@odata.type"], "#microsoft.graph.learningAssignment");
    assert.equal(created.assignment.assignmentType, "required");
    assert.equal(created.course["@odata.type"], "#microsoft.graph.learningSelfInitiatedCourse");
    assert.equal(created.course.completionPercentage, 10);
  });

  it("gets an activity by id and by externalcourseActivityId", async () => {
    const byId = await app.api(`/employeeExperience/learningCourseActivities/${created.assignment.id}`).get();
    const byExternalId = await app
      .api(`/employeeExperience/learningCourseActivities(externalcourseActivityId='${externalIds.course}')`)
      .get();

    assert.equal(byId.externalcourseActivityId, externalIds.assignment);
    assert.equal(byExternalId.id, created.course.id);
  });

  it("patches an activity", async () => {
    await app
      .api(`${activities}/${created.assignment.id}`)
      .patch({ "@odata.type": "#microsoft.graph.learningAssignment", status: "completed", completionPercentage: 100, completedDateTime: "2024-06-01T10:00:00Z" });

    const read = await app.api(`${activities}/${created.assignment.id}`).get();
    assert.equal(read.status, "completed");
    assert.equal(read.completionPercentage, 100);
  });

  it("lists with $filter and $top, following @odata.nextLink with PageIterator", async () => {
    for (const [index, contentId] of contents.slice(2).entries()) {
      await app.api(activities).post(selfInitiatedBody(contentId, unique(`course-${index}`)));
    }
    const firstPage = await app.api(activities).filter("status eq 'inProgress'").top(2).get();
    assert.equal(firstPage.value.length, 2);
    assert.ok(firstPage["@odata.nextLink"].startsWith(`${server.graphUrl}/`), firstPage["@odata.nextLink"]);

    const seen = [];
    await new PageIterator(app, firstPage, (activity) => {
      seen.push(activity);
      return true;
    }).iterate();

    assert.equal(seen.length, 3);
    assert.ok(seen.every((activity) => activity.status === "inProgress"));
    assert.equal(new Set(seen.map((activity) => activity.id)).size, 3);
  });

  it("sends a $batch built with BatchRequestContent and reads it with BatchResponseContent", async () => {
    const url = (path) => `${server.graphUrl}${path}`;
    const batch = new BatchRequestContent([
      { id: "read", request: new Request(url(`${activities}/${created.course.id}`), { method: "GET" }) },
      {
        id: "update",
        request: new Request(url(`${activities}/${created.course.id}`), {
          method: "PATCH",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ "@odata.type": "#microsoft.graph.learningSelfInitiatedCourse", completionPercentage: 50 }),
        }),
        dependsOn: ["read"],
      },
      {
        id: "missing",
        request: new Request(url(`${activities}/${randomUUID()}`), { method: "GET" }),
        dependsOn: ["update"],
      },
    ]);

    const answer = new BatchResponseContent(await app.api("/$batch").post(await batch.getContent()));

    const read = answer.getResponseById("read");
    assert.equal(read.status, 200);
    assert.equal((await read.json()).id, created.course.id);
    assert.equal(answer.getResponseById("update").status, 204);
    const missing = answer.getResponseById("missing");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "notFound");
    assert.equal((await app.api(`${activities}/${created.course.id}`).get()).completionPercentage, 50);
  });

  it("shows the learner's activities at /users/{id} and /me", async () => {
    const ids = [created.assignment.id, created.course.id];
    // Listing a learner's activities is a delegated call; reading one of them works for the app too.
    const asUser = await admin.api(`/users/${server.userId}/employeeExperience/learningCourseActivities`).get();
    const asMe = await admin.api("/me/employeeExperience/learningCourseActivities").get();

    for (const view of [asUser, asMe]) {
      const listed = new Set(view.value.map((activity) => activity.id));
      assert.ok(ids.every((id) => listed.has(id)), `missing from ${JSON.stringify([...listed])}`);
    }
    const mine = await admin.api(`/me/employeeExperience/learningCourseActivities/${created.course.id}`).get();
    const theirs = await app.api(`/users/${server.userId}/employeeExperience/learningCourseActivities/${created.course.id}`).get();
    assert.equal(mine.learnerUserId, server.userId);
    assert.equal(theirs.id, mine.id);
  });

  it("surfaces Graph's errors as GraphError with Graph's status, code and message", async () => {
    const unregistered = await graphError(
      app.api(`/employeeExperience/learningProviders/${randomUUID()}/learningCourseActivities`).get(),
    );
    const unknown = await graphError(app.api(`/employeeExperience/learningCourseActivities/${randomUUID()}`).get());

    assertGraphError(unregistered, BAD_REGISTRATION);
    assertGraphError(unknown, UNKNOWN_ACTIVITY);
    assert.ok(unknown.requestId, "the request id of Graph's inner error");
  });

  it("deletes the activities, a content and the provider", async () => {
    await app.api(`${activities}/${created.assignment.id}`).delete();
    await app.api(`/employeeExperience/learningCourseActivities/${created.course.id}`).delete();
    await app.api(`${provider}/learningContents/${contents[0]}`).delete();

    assertGraphError(await graphError(app.api(`${activities}/${created.assignment.id}`).get()), UNKNOWN_ACTIVITY);
    assert.equal((await graphError(app.api(`${provider}/learningContents/${contents[0]}`).get())).statusCode, 404);
    await admin.api(provider).delete();
    assert.equal((await graphError(admin.api(provider).get())).statusCode, 404);
  });

  it("attaches no token when customHosts names the port too: Graph answers 401", async () => {
    const withPort = graphClient(appCredential(), new URL(server.origin).host);

    const error = await graphError(withPort.api("/employeeExperience/learningCourseActivities").get());

    assert.equal(error.statusCode, 401);
    assert.equal(error.code, "InvalidAuthenticationToken");
  });
});
