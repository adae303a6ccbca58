// Ready-made templates for the webhook channel: Devtron's documented payloads and Kosli's.

export interface WebhookPreset {
  id: string;
  name: string;
  description: string;
  template: string;
}

/**
 * Devtron's documented sample payloads (seeds/devtron-notifications.md) with filters that
 * escape event text for where it lands, and Kosli's custom-webhook payload shape.
 */
export const WEBHOOK_PRESETS: readonly WebhookPreset[] = [
  {
    id: 'devtron-teams',
    name: 'Microsoft Teams (Devtron sample)',
    description: 'Adaptive Card message for a Teams Workflows webhook',
    template: `{
    "type": "message",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": [
                    {
                        "type": "TextBlock",
                        "wrap": true,
                        "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName | markdown | max:300}} \\n *Event Type* : {{eventType}} \\n {{title | markdown | max:500}}"
                    }
                ]
            }
        }
    ]
}`,
  },
  {
    id: 'devtron-slack',
    name: 'Slack (Devtron sample)',
    description: 'Block Kit message for a Slack incoming webhook',
    template: `{
    "text": "{{typeLabel | slack}}: {{title | slack | max:500}}",
    "blocks": [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName | slack | max:300}} \\n *Event Type* : {{eventType}} \\n {{title | slack | max:500}}"
            },
            "accessory": {
                "type": "image",
                "image_url": "https://awsmp-logos.s3.amazonaws.com/3ec35b66-ca90-4ed0-8c9e-146fa65e1037/f3966518a472c0e5f51c57f5efb20da7.png",
                "alt_text": "Devtron Logo"
            }
        }
    ]
}`,
  },
  {
    id: 'devtron-discord',
    name: 'Discord (Devtron sample)',
    description: 'Plain content for a Discord webhook; mentions in event text never ping',
    template: `{
    "content": "Automation Notification at Devtron \\n App : {{devtronAppName | markdown | max:300}} \\n Event Type : {{eventType}} \\n {{title | markdown | max:1000}}",
    "allowed_mentions": { "parse": [] }
}`,
  },
  {
    id: 'devtron-ringcentral',
    name: 'RingCentral (Devtron sample)',
    description: 'Adaptive Card for a RingCentral incoming webhook',
    template: `{
    "activity": "{{typeLabel | markdown}}",
    "attachments": [
    {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.0",
        "body": [
        {
            "type": "TextBlock",
            "text": "Automation Notification at Devtron \\n App: {{devtronAppName | markdown | max:300}} \\n Event Type: {{eventType}}",
            "weight": "bolder",
            "size": "medium",
            "wrap": true
        },
        {
            "type": "ColumnSet",
            "columns": [
            {
                "type": "Column",
                "width": "auto",
                "items": [
                {
                    "type": "Image",
                    "url": "https://awsmp-logos.s3.amazonaws.com/3ec35b66-ca90-4ed0-8c9e-146fa65e1037/f3966518a472c0e5f51c57f5efb20da7.png",
                    "size": "small",
                    "style": "person"
                }
                ]
            },
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                {
                    "type": "TextBlock",
                    "text": "Container Image Repo: {{devtronContainerImageRepo | markdown | max:300}} \\n Container Image Tag: {{devtronContainerImageTag | markdown | max:200}}",
                    "weight": "bolder",
                    "wrap": true
                },
                {
                    "type": "TextBlock",
                    "spacing": "none",
                    "text": "Triggered by: {{devtronTriggeredByEmail | markdown | max:200}}",
                    "isSubtle": true,
                    "wrap": true
                }
                ]
            }
            ]
        }
        ]
    }
    ]
}`,
  },
  {
    id: 'kosli',
    name: 'Kosli custom webhook shape',
    description:
      "Kosli's custom-webhook payload: org = subject.group, environment, event_type = the type as a constant, artifact = subject.artifact in the flow subject.project. Snapshot index and fingerprint have no Herald counterpart and stay empty.",
    template: `{
    "version": "1.0",
    "timestamp": "{{occurredAtUnix}}",
    "org": "{{subject.group}}",
    "environment": "{{subject.environment}}",
    "event_type": "{{typeConstant}}",
    "description": "{{title}}",
    "snapshot": {
        "index": "",
        "status": "",
        "html_url": "{{url}}",
        "api_url": ""
    },
    "artifact": {
        "name": "{{subject.artifact}}",
        "fingerprint": "",
        "provenance": {
            "flow": "{{subject.project}}",
            "status": "",
            "commit": "{{devtronBuildGitCommitHash}}",
            "commit_url": "",
            "html_url": "{{url}}",
            "api_url": "",
            "build_url": "{{url}}",
            "deployments": [],
            "approvals": []
        }
    },
    "herald": {{event}}
}`,
  },
];
