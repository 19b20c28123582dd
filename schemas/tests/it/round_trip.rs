//! Every domain event survives encode → Confluent frame → decode unchanged.

use proptest::prelude::*;
use uuid::Uuid;
use wavestack_domain::broadcast::*;
use wavestack_domain::channel::*;
use wavestack_domain::chat::*;
use wavestack_domain::chat_command::*;
use wavestack_domain::clip::*;
use wavestack_domain::delivery::*;
use wavestack_domain::giveaway::*;
use wavestack_domain::identity::*;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::*;
use wavestack_domain::poll::*;
use wavestack_domain::publication::*;
use wavestack_domain::team::*;
use wavestack_domain::value::*;
use wavestack_schemas::{unframe, Codec, LogEnvelope, LogEvent};

fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.:@-]{1,24}"
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[^\\p{{Cc}}]{{1,{max}}}")).unwrap()
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000_000).prop_map(|m| Timestamp::from_unix_micros(m).unwrap())
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> + Clone {
    proptest::sample::select(all)
}

fn chat_event() -> impl Strategy<Value = ChatEvent> {
    prop_oneof![
        (pick(ChatPlatform::ALL), ident(), ident(), ident(), text(64), pick(Role::ALL), text(500), ts()).prop_map(
            |(platform, channel, user, msg, author, role, text, sent_at)| {
                ChatEvent::ChatMessageReceived(ChatMessageReceived {
                    platform,
                    channel: ChannelId::parse(channel).unwrap(),
                    user_id: PlatformUserId::parse(user).unwrap(),
                    message_id: MessageId::parse(msg).unwrap(),
                    author: DisplayName::parse(author).unwrap(),
                    role,
                    text: ChatText::parse(text).unwrap(),
                    sent_at,
                })
            }
        ),
        (0u64..i64::MAX as u64, 0u64..i64::MAX as u64, ts()).prop_map(|(points, balance, awarded_at)| {
            ChatEvent::PointsAwarded(PointsAwarded { points, balance, awarded_at })
        }),
        (ident(), "[a-z0-9_]{1,32}", ".{0,40}", ts()).prop_map(|(msg, name, args, invoked_at)| {
            ChatEvent::ChatCommandInvoked(ChatCommandInvoked {
                message_id: MessageId::parse(msg).unwrap(),
                name,
                args,
                invoked_at,
            })
        }),
    ]
}

fn points() -> impl Strategy<Value = u64> {
    0u64..i64::MAX as u64
}

fn command_name() -> impl Strategy<Value = CommandName> {
    "[a-z0-9_]{1,32}".prop_map(|n| CommandName::parse(n).unwrap())
}

fn economy_event() -> impl Strategy<Value = ChatEvent> {
    let message = || ident().prop_map(|m| MessageId::parse(m).unwrap());
    let user = || ident().prop_map(|u| PlatformUserId::parse(u).unwrap());
    prop_oneof![
        (message(), command_name(), points(), points()).prop_map(|(message_id, command, points, balance)| {
            ChatEvent::PointsSpent(PointsSpent { message_id, command, points, balance })
        }),
        (uuid(), message(), user(), points(), points()).prop_map(
            |(transfer_id, message_id, to_user_id, points, balance)| {
                ChatEvent::PointsSent(PointsSent { transfer_id, message_id, to_user_id, points, balance })
            }
        ),
        (uuid(), user(), points(), points()).prop_map(|(transfer_id, from_user_id, points, balance)| {
            ChatEvent::PointsReceived(PointsReceived { transfer_id, from_user_id, points, balance })
        }),
        (message(), points(), points()).prop_map(|(message_id, points, balance)| ChatEvent::PointsRefunded(
            PointsRefunded { message_id, points, balance }
        )),
        (message(), points(), points(), ts()).prop_map(|(message_id, points, balance, claimed_at)| {
            ChatEvent::DailyBonusClaimed(DailyBonusClaimed { message_id, points, balance, claimed_at })
        }),
        (message(), pick(PointsRefusal::ALL), points(), points()).prop_map(|(message_id, reason, points, balance)| {
            ChatEvent::PointsRequestRefused(PointsRequestRefused { message_id, reason, points, balance })
        }),
    ]
}

fn definition() -> impl Strategy<Value = CommandDefinition> {
    (
        command_name(),
        "[a-z $()]{0,40}",
        proptest::option::of(command_name()),
        pick(UserLevel::ALL),
        (any::<u32>(), any::<u32>(), points(), any::<bool>()),
    )
        .prop_filter_map("a valid template", |(name, response, alias_of, min_level, (cd, ucd, cost, enabled))| {
            Some(CommandDefinition {
                name,
                response: ResponseTemplate::parse(response).ok()?,
                alias_of,
                min_level,
                cooldown_seconds: cd,
                user_cooldown_seconds: ucd,
                cost,
                enabled,
            })
        })
}

fn channel_event() -> impl Strategy<Value = ChannelEvent> {
    prop_oneof![
        definition().prop_map(ChannelEvent::CommandAdded),
        definition().prop_map(ChannelEvent::CommandEdited),
        command_name().prop_map(|name| ChannelEvent::CommandDeleted { name }),
        (points(), any::<u32>(), points(), any::<u32>()).prop_map(|(p, cd, daily, pct)| {
            ChannelEvent::PointsPolicyChanged(PointsPolicy {
                points_per_message: p,
                cooldown_seconds: cd,
                daily_bonus: daily,
                subscriber_percent: pct,
            })
        }),
        "[!?#~]{1,3}".prop_map(|p| ChannelEvent::PrefixChanged { prefix: CommandPrefix::parse(p).unwrap() }),
        ident().prop_map(|u| ChannelEvent::RegularAdded { user_id: PlatformUserId::parse(u).unwrap() }),
        ident().prop_map(|u| ChannelEvent::RegularRemoved { user_id: PlatformUserId::parse(u).unwrap() }),
        (pick(Builtin::ALL), command_name(), any::<bool>()).prop_map(|(builtin, name, enabled)| {
            ChannelEvent::BuiltinConfigured(BuiltinConfigured { builtin, name, enabled })
        }),
        (ident(), ident(), ident(), proptest::collection::vec(ident(), 0..12)).prop_map(
            |(channel, bot, login, scopes)| {
                ChannelEvent::PlatformConnected(PlatformConnection {
                    platform_channel_id: PlatformUserId::parse(channel).unwrap(),
                    bot_user_id: PlatformUserId::parse(bot).unwrap(),
                    bot_login: login,
                    scopes,
                })
            }
        ),
        text(200).prop_map(|reason| ChannelEvent::PlatformDisconnected { reason }),
    ]
}

fn small() -> impl Strategy<Value = u32> {
    0u32..=u32::MAX
}

fn filter_rule() -> impl Strategy<Value = FilterRule> {
    let words = || proptest::collection::vec(text(20), 0..4);
    prop_oneof![
        (small(), small()).prop_map(|(min_length, max_percent)| FilterRule::Caps { min_length, max_percent }),
        words().prop_map(|allowed_domains| FilterRule::Links { allowed_domains }),
        (words(), words()).prop_map(|(terms, patterns)| FilterRule::BannedTerms { terms, patterns }),
        (small(), small()).prop_map(|(min_length, max_percent)| FilterRule::Symbols { min_length, max_percent }),
        (small(), small(), small()).prop_map(|(max_char_run, max_word_repeats, same_message_seconds)| {
            FilterRule::Repetition { max_char_run, max_word_repeats, same_message_seconds }
        }),
        (small(), small()).prop_map(|(max_emotes, max_mentions)| FilterRule::Emotes { max_emotes, max_mentions }),
        small().prop_map(|max_length| FilterRule::Length { max_length }),
        (small(), small()).prop_map(|(max_messages, per_seconds)| FilterRule::Flood { max_messages, per_seconds }),
    ]
}

fn moderation_settings_event() -> impl Strategy<Value = ChannelEvent> {
    prop_oneof![
        (any::<bool>(), proptest::collection::vec(pick(UserLevel::ALL), 0..3), filter_rule()).prop_map(
            |(enabled, exempt, rule)| ChannelEvent::FilterConfigured(FilterSettings { enabled, exempt, rule })
        ),
        (proptest::collection::vec((pick(ActionKind::ALL), small()), 0..5), small()).prop_map(
            |(ladder, strike_expiry_seconds)| {
                let ladder = ladder.into_iter().map(|(action, seconds)| Penalty { action, seconds }).collect();
                ChannelEvent::EscalationChanged(Escalation { ladder, strike_expiry_seconds })
            }
        ),
    ]
}

fn moderation_event() -> impl Strategy<Value = ChatEvent> {
    prop_oneof![
        (
            (ident(), text(64), text(500)),
            (
                pick(Cause::ALL),
                text(80),
                small(),
                pick(ActionKind::ALL),
                small(),
                ".{0,80}",
                proptest::option::of(ts()),
                ts()
            )
        )
            .prop_map(
                |(
                    (msg, author, text),
                    (cause, evidence, strikes, action, seconds, reply, strike_expires_at, decided_at),
                )| {
                    ChatEvent::MessageModerated(MessageModerated {
                        message_id: MessageId::parse(msg).unwrap(),
                        author: DisplayName::parse(author).unwrap(),
                        text: ChatText::parse(text).unwrap(),
                        cause,
                        evidence,
                        strikes,
                        action,
                        seconds,
                        reply,
                        strike_expires_at,
                        decided_at,
                    })
                }
            ),
        (pick(ModeratorAction::ALL), small(), ".{0,80}", ident(), proptest::option::of(ident()), ts(), small())
            .prop_map(|(action, seconds, reason, by, msg, at, strikes_cleared)| {
                ChatEvent::ModeratorActed(ModeratorActed {
                    action,
                    seconds,
                    reason,
                    by: ActorId::parse(by).unwrap(),
                    message_id: msg.map(|m| MessageId::parse(m).unwrap()),
                    at,
                    strikes_cleared,
                })
            }),
        (ident(), text(40)).prop_map(|(msg, link)| {
            ChatEvent::PermitUsed(PermitUsed { message_id: MessageId::parse(msg).unwrap(), link })
        }),
    ]
}

fn invoker() -> impl Strategy<Value = Invoker> {
    (ident(), pick(ChatPlatform::ALL), ident(), ident(), text(64)).prop_map(
        |(message, platform, channel, user, author)| Invoker {
            message_id: MessageId::parse(message).unwrap(),
            platform,
            channel: ChannelId::parse(channel).unwrap(),
            user_id: PlatformUserId::parse(user).unwrap(),
            author: DisplayName::parse(author).unwrap(),
        },
    )
}

fn command_use_event() -> impl Strategy<Value = CommandUseEvent> {
    prop_oneof![
        (invoker(), command_name(), text(500), points(), points(), points(), ts()).prop_map(
            |(invoker, command, reply, count, cost, settings_version, answered_at)| {
                CommandUseEvent::CommandAnswered(CommandAnswered {
                    invoker,
                    command,
                    reply,
                    count,
                    cost,
                    settings_version,
                    answered_at,
                })
            }
        ),
        (invoker(), command_name(), pick(RefusalReason::ALL), text(80), proptest::option::of(text(80)), points(), ts())
            .prop_map(|(invoker, command, reason, detail, reply, settings_version, refused_at)| {
                CommandUseEvent::CommandRefused(CommandRefused {
                    invoker,
                    command,
                    reason,
                    detail,
                    reply,
                    settings_version,
                    refused_at,
                })
            }),
    ]
}

fn clip_event() -> impl Strategy<Value = ClipEvent> {
    let requested = (
        uuid(),
        ident(),
        "[a-z0-9/._-]{1,40}",
        0u64..=ClipStart::MAX_MILLIS,
        1u64..=ClipDuration::MAX_MILLIS,
        pick(Container::ALL),
        any::<bool>(),
        proptest::option::of(text(120)),
        ident(),
    )
        .prop_map(|(id, channel, source, start, duration, container, reencode, title, by)| {
            ClipEvent::ClipRequested(ClipRequested {
                clip_id: ClipId::from_uuid(id),
                channel: ChannelId::parse(channel).unwrap(),
                source: ClipSource::parse(source).unwrap(),
                start: ClipStart::from_millis(start).unwrap(),
                duration: ClipDuration::from_millis(duration).unwrap(),
                container,
                reencode,
                title: Title::parse(title.unwrap_or_default()).unwrap(),
                requested_by: ActorId::parse(by).unwrap(),
            })
        });
    prop_oneof![
        requested,
        (0u32..i32::MAX as u32, ident()).prop_map(|(attempt, worker)| {
            ClipEvent::ClipRenderingStarted(ClipRenderingStarted { attempt, worker: ActorId::parse(worker).unwrap() })
        }),
        ("[a-z0-9/._-]{1,60}", 0u64..i64::MAX as u64, 0u64..i64::MAX as u64, "[0-9a-f]{64}").prop_map(
            |(uri, duration_ms, size_bytes, sha)| {
                ClipEvent::ClipRendered(RenderedClip {
                    uri: MediaUri::parse(format!("/files/{uri}.mp4")).unwrap(),
                    thumbnail_uri: MediaUri::parse(format!("/files/{uri}.jpg")).unwrap(),
                    duration_ms,
                    size_bytes,
                    sha256: ContentHash::parse(sha).unwrap(),
                })
            }
        ),
        (0u32..i32::MAX as u32, text(200), any::<bool>()).prop_map(|(attempt, reason, retryable)| {
            ClipEvent::ClipRenderingFailed(ClipRenderingFailed {
                attempt,
                reason: FailureReason::parse(reason).unwrap(),
                retryable,
            })
        }),
        text(200)
            .prop_map(|reason| ClipEvent::ClipDeleted(ClipDeleted { reason: FailureReason::parse(reason).unwrap() })),
    ]
}

fn publication_event() -> impl Strategy<Value = PublicationEvent> {
    let asset = prop_oneof![
        uuid().prop_map(|u| Asset::Clip(ClipId::from_uuid(u))),
        "[a-z0-9./-]{1,40}".prop_map(|p| Asset::Url(AssetUrl::parse(format!("https://cdn.example.com/{p}")).unwrap())),
    ];
    let created = (
        uuid(),
        asset,
        proptest::collection::vec(pick(TargetPlatform::ALL), 1..8),
        text(120),
        proptest::option::of(text(300)),
        proptest::collection::vec("[a-zA-Z0-9_]{1,20}", 0..5),
        proptest::option::of(ts()),
        proptest::option::of("[!-~]{1,40}"),
        any::<bool>(),
    )
        .prop_map(|(id, asset, targets, title, caption, tags, scheduled_at, key, waiting)| {
            PublicationEvent::PublicationCreated(PublicationCreated {
                publication_id: PublicationId::from_uuid(id),
                asset,
                targets: Targets::parse(targets).unwrap(),
                title: Title::parse_required(title).unwrap(),
                caption: Caption::parse(caption.unwrap_or_default()).unwrap(),
                hashtags: Hashtags::parse(tags.iter().map(|t| Hashtag::parse(t).unwrap()).collect()).unwrap(),
                scheduled_at,
                idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
                waiting_for_asset: waiting,
            })
        });
    let target = pick(TargetPlatform::ALL);
    let attempt = 1u32..100u32;
    prop_oneof![
        created,
        "[a-z0-9/._-]{1,40}".prop_map(|u| PublicationEvent::PublicationAssetReady(PublicationAssetReady {
            media_uri: MediaUri::parse(format!("/files/{u}")).unwrap()
        })),
        ts().prop_map(|at| PublicationEvent::PublicationRescheduled(PublicationRescheduled { scheduled_at: at })),
        Just(PublicationEvent::PublicationCancelled(PublicationCancelled {})),
        (target.clone(), attempt.clone(), ts()).prop_map(|(target, attempt, started_at)| {
            PublicationEvent::PublishAttemptStarted(PublishAttemptStarted { target, attempt, started_at })
        }),
        (target.clone(), attempt.clone(), ident(), proptest::option::of("[a-z0-9/]{1,30}")).prop_map(
            |(target, attempt, post, url)| {
                PublicationEvent::TargetPublished(TargetPublished {
                    target,
                    attempt,
                    post_id: PostId::parse(post).unwrap(),
                    url: url.map(|u| AssetUrl::parse(format!("https://youtu.be/{u}")).unwrap()),
                })
            }
        ),
        (target, attempt, text(200), proptest::option::of(ts()), any::<bool>()).prop_map(
            |(target, attempt, error, next_retry_at, gave_up)| {
                PublicationEvent::TargetPublishFailed(TargetPublishFailed {
                    target,
                    attempt,
                    error: FailureReason::parse(error).unwrap(),
                    next_retry_at,
                    gave_up,
                })
            }
        ),
    ]
}

fn account() -> impl Strategy<Value = Account> {
    (pick(ChatPlatform::ALL), ident())
        .prop_map(|(platform, user)| Account::new(platform, PlatformUserId::parse(user).unwrap()))
}

fn channel_ref() -> impl Strategy<Value = ChannelRef> {
    (pick(ChatPlatform::ALL), ident())
        .prop_map(|(platform, channel)| ChannelRef::new(platform, ChannelId::parse(channel).unwrap()))
}

fn community_chat_event() -> impl Strategy<Value = ChatEvent> {
    prop_oneof![
        (uuid(), ident(), points(), points()).prop_map(|(g, msg, points, balance)| ChatEvent::EntryPaid(EntryPaid {
            giveaway_id: GiveawayId::from_uuid(g),
            message_id: MessageId::parse(msg).unwrap(),
            points,
            balance,
        })),
        (uuid(), points(), points()).prop_map(|(g, points, balance)| ChatEvent::EntryRefunded(EntryRefunded {
            giveaway_id: GiveawayId::from_uuid(g),
            points,
            balance,
        })),
        (ident(), pick(PointsRefusal::ALL), points(), points()).prop_map(|(msg, reason, points, balance)| {
            ChatEvent::PointsRequestRefused(PointsRequestRefused {
                message_id: MessageId::parse(msg).unwrap(),
                reason,
                points,
                balance,
            })
        }),
    ]
}

fn community_channel_event() -> impl Strategy<Value = ChannelEvent> {
    prop_oneof![
        (uuid(), command_name())
            .prop_map(|(g, keyword)| ChannelEvent::GiveawayStarted { giveaway_id: GiveawayId::from_uuid(g), keyword }),
        uuid().prop_map(|g| ChannelEvent::GiveawayEnded { giveaway_id: GiveawayId::from_uuid(g) }),
        uuid().prop_map(|p| ChannelEvent::PollStarted { poll_id: PollId::from_uuid(p) }),
        uuid().prop_map(|p| ChannelEvent::PollEnded { poll_id: PollId::from_uuid(p) }),
        (pick(Builtin::ALL), command_name(), any::<bool>()).prop_map(|(builtin, name, enabled)| {
            ChannelEvent::BuiltinConfigured(BuiltinConfigured { builtin, name, enabled })
        }),
        (ident(), ident(), ident(), proptest::collection::vec(ident(), 0..12)).prop_map(
            |(channel, bot, login, scopes)| {
                ChannelEvent::PlatformConnected(PlatformConnection {
                    platform_channel_id: PlatformUserId::parse(channel).unwrap(),
                    bot_user_id: PlatformUserId::parse(bot).unwrap(),
                    bot_login: login,
                    scopes,
                })
            }
        ),
        text(200).prop_map(|reason| ChannelEvent::PlatformDisconnected { reason }),
    ]
}

fn giveaway_event() -> impl Strategy<Value = GiveawayEvent> {
    let opened = (
        uuid(),
        text(80),
        proptest::collection::vec(channel_ref(), 1..4),
        (command_name(), points(), pick(UserLevel::ALL), 1u32..=10, proptest::option::of(ts())),
        "[0-9a-f]{64}",
        ts(),
    )
        .prop_map(
            |(g, title, channels, (keyword, cost, min_level, subscriber_luck, closes_at), commitment, opened_at)| {
                GiveawayEvent::GiveawayOpened(GiveawayOpened {
                    giveaway_id: GiveawayId::from_uuid(g),
                    title,
                    channels,
                    rules: GiveawayRules { keyword, cost, min_level, subscriber_luck, closes_at },
                    commitment,
                    opened_at,
                })
            },
        );
    let winner = (0u32..100_000, account(), account(), text(30)).prop_map(|(entry, person, account, author)| Winner {
        entry,
        person,
        account,
        author: DisplayName::parse(author).unwrap(),
    });
    prop_oneof![
        opened,
        (account(), account(), channel_ref(), text(30), ident(), 1u32..=10, points(), ts()).prop_map(
            |(person, account, channel, author, msg, weight, paid, entered_at)| {
                GiveawayEvent::EntryAccepted(EntryAccepted {
                    person,
                    account,
                    channel,
                    author: DisplayName::parse(author).unwrap(),
                    message_id: MessageId::parse(msg).unwrap(),
                    weight,
                    paid,
                    entered_at,
                })
            }
        ),
        (ident(), account(), ts()).prop_map(|(msg, account, at)| GiveawayEvent::EntryAbandoned(EntryAbandoned {
            message_id: MessageId::parse(msg).unwrap(),
            account,
            at
        })),
        (0u32..100_000, ts())
            .prop_map(|(entries, closed_at)| GiveawayEvent::GiveawayClosed(GiveawayClosed { entries, closed_at })),
        (
            0u32..50,
            "[0-9a-f]{64}",
            proptest::option::of(account()),
            proptest::collection::vec(winner, 0..5),
            ts(),
            proptest::option::of("[0-9a-f]{64}")
        )
            .prop_map(|(round, seed, replaces, winners, drawn_at, next_commitment)| {
                GiveawayEvent::WinnersDrawn(WinnersDrawn { round, seed, replaces, winners, drawn_at, next_commitment })
            }),
        (0u32..1000, ts()).prop_map(|(refunds, cancelled_at)| GiveawayEvent::GiveawayCancelled(GiveawayCancelled {
            refunds,
            cancelled_at
        })),
    ]
}

fn poll_event() -> impl Strategy<Value = PollEvent> {
    prop_oneof![
        (
            uuid(),
            text(100),
            proptest::collection::vec(text(20), 2..10),
            proptest::collection::vec(channel_ref(), 1..3),
            any::<bool>(),
            ts(),
            ts()
        )
            .prop_map(|(p, question, options, channels, allow_change, opened_at, closes_at)| {
                PollEvent::PollOpened(PollOpened {
                    poll_id: PollId::from_uuid(p),
                    question,
                    options,
                    channels,
                    allow_change,
                    opened_at,
                    closes_at,
                })
            }),
        (account(), account(), 0u32..10, proptest::option::of(0u32..10), ts()).prop_map(
            |(person, account, option, previous, at)| PollEvent::VoteCast(VoteCast {
                person,
                account,
                option,
                previous,
                at
            })
        ),
        (proptest::collection::vec(points(), 2..10), ts())
            .prop_map(|(counts, closed_at)| PollEvent::PollClosed(PollClosed { counts, closed_at })),
        ts().prop_map(|cancelled_at| PollEvent::PollCancelled(PollCancelled { cancelled_at })),
    ]
}

fn identity_event() -> impl Strategy<Value = IdentityEvent> {
    let accounts = || proptest::collection::vec(account(), 0..4);
    prop_oneof![
        (account(), "[0-9a-f]{64}", ts(), ts()).prop_map(|(issued_by, code_digest, expires_at, issued_at)| {
            IdentityEvent::LinkCodeIssued(LinkCodeIssued { issued_by, code_digest, expires_at, issued_at })
        }),
        ts().prop_map(|at| IdentityEvent::LinkAttemptFailed(LinkAttemptFailed { at })),
        (uuid(), account(), accounts(), ts()).prop_map(|(merge_id, from_root, accounts, redeemed_at)| {
            IdentityEvent::CodeRedeemed(CodeRedeemed { merge_id, from_root, accounts, redeemed_at })
        }),
        (account(), account(), uuid(), ts()).prop_map(|(root, from_root, merge_id, at)| IdentityEvent::PersonJoined(
            PersonJoined { root, from_root, merge_id, at }
        )),
        (uuid(), accounts(), ts()).prop_map(|(merge_id, accounts, at)| IdentityEvent::AccountsJoined(AccountsJoined {
            merge_id,
            accounts,
            at
        })),
        (account(), ts()).prop_map(|(account, at)| IdentityEvent::AccountUnlinked(AccountUnlinked { account, at })),
        (account(), ts()).prop_map(|(root, at)| IdentityEvent::PersonLeft(PersonLeft { root, at })),
    ]
}

fn delivery_event() -> impl Strategy<Value = DeliveryEvent> {
    let id = || "[a-z]{1,8}:[A-Za-z0-9-]{1,40}:[0-9]".prop_map(String::from);
    let maybe = || proptest::option::of(ident());
    prop_oneof![
        (id(), pick(DeliveryKind::ALL), maybe(), maybe(), ".{0,60}", ts()).prop_map(
            |(delivery, kind, message, user, text, at)| DeliveryEvent::DeliveryStarted(DeliveryStarted {
                delivery,
                kind,
                message_id: message.map(|m| MessageId::parse(m).unwrap()),
                user_id: user.map(|u| PlatformUserId::parse(u).unwrap()),
                text,
                at,
            })
        ),
        (id(), maybe(), ts()).prop_map(|(delivery, platform_id, at)| DeliveryEvent::DeliveryExecuted(
            DeliveryExecuted { delivery, platform_id, at }
        )),
        (id(), any::<u16>(), ".{0,60}", ts()).prop_map(|(delivery, status, answer, at)| DeliveryEvent::DeliveryFailed(
            DeliveryFailed { delivery, status, answer, at }
        )),
        (id(), ts())
            .prop_map(|(delivery, at)| DeliveryEvent::DeliveryFateUnknown(DeliveryFateUnknown { delivery, at })),
    ]
}

fn team_event() -> impl Strategy<Value = TeamEvent> {
    let user = || "[a-z0-9_.-]{2,32}".prop_map(|u| Username::parse(u).unwrap());
    prop_oneof![
        (user(), pick(MemberRole::ALL), ts()).prop_map(|(username, role, at)| TeamEvent::MemberAdded(MemberAdded {
            username,
            role,
            at
        })),
        (user(), pick(MemberRole::ALL), pick(MemberRole::ALL), ts()).prop_map(|(username, role, previous, at)| {
            TeamEvent::MemberRoleChanged(MemberRoleChanged { username, role, previous, at })
        }),
        (user(), ts()).prop_map(|(username, at)| TeamEvent::MemberRemoved(MemberRemoved { username, at })),
        (user(), ts()).prop_map(|(username, at)| TeamEvent::PasswordSet(PasswordSet { username, at })),
        (uuid(), channel_ref(), "[^\\p{Cc}]{1,60}", "[0-9a-f]{64}", ts()).prop_filter_map(
            "a label is not blank",
            |(key_id, channel, label, digest, at)| {
                Some(TeamEvent::OverlayKeyIssued(OverlayKeyIssued {
                    key_id: OverlayKeyId::from_uuid(key_id),
                    channel,
                    label: OverlayLabel::parse(label).ok()?,
                    digest,
                    at,
                }))
            }
        ),
        (uuid(), ts()).prop_map(|(key_id, at)| TeamEvent::OverlayKeyRevoked(OverlayKeyRevoked {
            key_id: OverlayKeyId::from_uuid(key_id),
            at
        })),
        (user(), pick(ChatPlatform::ALL), ident(), "[a-z0-9_]{1,25}", ts()).prop_map(
            |(username, platform, user_id, login, at)| TeamEvent::SignInLinked(SignInLinked {
                username,
                platform,
                user_id: PlatformUserId::parse(user_id).unwrap(),
                login,
                at
            })
        ),
        (user(), pick(ChatPlatform::ALL), ts())
            .prop_map(|(username, platform, at)| TeamEvent::SignInUnlinked(SignInUnlinked { username, platform, at })),
    ]
}

fn broadcast_event() -> impl Strategy<Value = BroadcastEvent> {
    let id = || "[a-zA-Z0-9_.:-]{1,40}".prop_map(|i| PlatformEventId::parse(i).unwrap());
    let viewer = || {
        proptest::option::of((ident(), "[a-z0-9_]{1,25}")).prop_map(|v| match v {
            Some((id, name)) => (Some(PlatformUserId::parse(id).unwrap()), Some(DisplayName::parse(name).unwrap())),
            None => (None, None),
        })
    };
    let words = || proptest::option::of(text(80)).prop_map(Option::unwrap_or_default);
    prop_oneof![
        (
            id(),
            pick(SupportKind::ALL),
            viewer(),
            proptest::option::of(pick(SubTier::ALL)),
            (points(), any::<bool>(), words(), words(), points()),
            ts()
        )
            .prop_map(
                |(event_id, kind, (user_id, user_name), tier, (amount, gifted, message, reward, points), at)| {
                    BroadcastEvent::SupportReceived(SupportReceived {
                        event_id,
                        kind,
                        user_id,
                        user_name,
                        tier,
                        amount,
                        gifted,
                        message,
                        reward,
                        points,
                        at,
                    })
                }
            ),
        (id(), ts())
            .prop_map(|(event_id, started_at)| BroadcastEvent::StreamStarted(StreamStarted { event_id, started_at })),
        (id(), proptest::option::of(ts()), ts()).prop_map(|(event_id, started_at, ended_at)| {
            BroadcastEvent::StreamEnded(StreamEnded { event_id, started_at, ended_at })
        }),
        (id(), ident(), ident(), ts()).prop_map(|(event_id, message, user, at)| {
            BroadcastEvent::ChatMessageDeleted(ChatMessageDeleted {
                event_id,
                message_id: MessageId::parse(message).unwrap(),
                user_id: PlatformUserId::parse(user).unwrap(),
                at,
            })
        }),
        (id(), ts()).prop_map(|(event_id, at)| BroadcastEvent::ChatCleared(ChatCleared { event_id, at })),
    ]
}

fn support_setting_event() -> impl Strategy<Value = ChannelEvent> {
    prop_oneof![
        (points(), points(), points(), points(), points(), points()).prop_map(|(a, b, c, d, e, f)| {
            ChannelEvent::SupportPolicyChanged(SupportPolicy {
                per_follow: a,
                per_sub_tier1: b,
                per_sub_tier2: c,
                per_sub_tier3: d,
                per_100_bits: e,
                per_raid_viewer: f,
            })
        }),
        (pick(SupportKind::ALL), text(200), any::<bool>()).prop_map(|(kind, template, enabled)| {
            ChannelEvent::AlertConfigured(AlertSettings { kind, template, enabled })
        }),
    ]
}

fn support_reward_event() -> impl Strategy<Value = ChatEvent> {
    ("[a-zA-Z0-9_.:-]{1,40}", pick(SupportKind::ALL), points(), points(), ts()).prop_map(
        |(id, kind, points, balance, rewarded_at)| {
            ChatEvent::SupportRewarded(SupportRewarded {
                event_id: PlatformEventId::parse(id).unwrap(),
                kind,
                points,
                balance,
                rewarded_at,
            })
        },
    )
}

fn metadata() -> impl Strategy<Value = EventMetadata> {
    ("[a-z0-9_-]{1,20}", ident(), uuid(), proptest::option::of(uuid()), proptest::option::of(".{0,30}"), ts()).prop_map(
        |(org, actor, correlation_id, causation_id, request_id, occurred_at)| EventMetadata {
            org: OrgId::parse(org).unwrap(),
            actor: ActorId::parse(actor).unwrap(),
            correlation_id,
            causation_id,
            request_id,
            occurred_at,
        },
    )
}

fn envelope() -> impl Strategy<Value = LogEnvelope> {
    let event = prop_oneof![
        chat_event().prop_map(LogEvent::Chat),
        economy_event().prop_map(LogEvent::Chat),
        channel_event().prop_map(LogEvent::Channel),
        moderation_settings_event().prop_map(LogEvent::Channel),
        moderation_event().prop_map(LogEvent::Chat),
        command_use_event().prop_map(LogEvent::CommandUse),
        clip_event().prop_map(LogEvent::Clip),
        publication_event().prop_map(LogEvent::Publication),
        community_chat_event().prop_map(LogEvent::Chat),
        community_channel_event().prop_map(LogEvent::Channel),
        giveaway_event().prop_map(LogEvent::Giveaway),
        poll_event().prop_map(LogEvent::Poll),
        identity_event().prop_map(LogEvent::Identity),
        team_event().prop_map(LogEvent::Team),
        broadcast_event().prop_map(LogEvent::Broadcast),
        support_setting_event().prop_map(LogEvent::Channel),
        support_reward_event().prop_map(LogEvent::Chat),
        delivery_event().prop_map(LogEvent::Delivery),
    ];
    (uuid(), ident(), 1u64..i64::MAX as u64, "[0-9a-f]{64}", metadata(), event).prop_map(
        |(event_id, aggregate_id, sequence, hash, metadata, event)| LogEnvelope {
            event_id,
            aggregate_id,
            sequence,
            hash,
            metadata,
            event,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_event_round_trips_through_confluent_framed_avro(envelope in envelope()) {
        let codec = Codec::from_catalog().unwrap();
        let bytes = codec.encode(&envelope).unwrap();
        let (schema_id, _) = unframe(&bytes).unwrap();
        prop_assert_eq!(schema_id, codec.schema_id(envelope.event.kind()));
        prop_assert_eq!(codec.decode(&bytes).unwrap(), envelope);
    }
}

#[test]
fn garbage_and_unknown_schema_ids_are_refused_not_panicked_on() {
    let codec = Codec::from_catalog().unwrap();
    assert!(codec.decode(b"not avro at all").is_err());
    assert!(matches!(
        codec.decode(&wavestack_schemas::frame(9_999, b"\x02")),
        Err(wavestack_schemas::CodecError::UnknownSchemaId(9_999))
    ));
    assert!(codec.decode(&wavestack_schemas::frame(1, b"\xff\xff\xff")).is_err());
}
