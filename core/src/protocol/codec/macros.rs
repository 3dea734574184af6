//! Declarative helpers that derive [`Encode`](super::Encode) / [`Decode`](super::Decode).

/// Defines a struct whose wire form is its fields in order.
///
/// A field may carry `@since(N)` and/or `@until(M)` after its attributes: it is then
/// on the wire only for versions `N..=M`, and decodes to `Default::default()` outside.
///
/// ```
/// flv_core::wire_struct! {
///     /// An example.
///     #[derive(Debug, Clone, PartialEq, Default)]
///     pub struct Example {
///         /// Always present.
///         pub a: i32,
///         /// Present from version 3.
///         @since(3)
///         pub b: String,
///     }
/// }
/// let bytes = flv_core::codec::encode_to_bytes(&Example { a: 1, b: "x".into() }, 2).unwrap();
/// assert_eq!(&bytes[..], &[0, 0, 0, 1]);
/// ```
#[macro_export]
macro_rules! wire_struct {
    (
        $(#[$smeta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $(@since($min:expr))?
                $(@until($max:expr))?
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$smeta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
        }

        impl $crate::protocol::codec::Encode for $name {
            #[allow(unused_variables)]
            fn encode(
                &self,
                dst: &mut ::bytes::BytesMut,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<(), $crate::protocol::codec::EncodeError> {
                $(
                    if $crate::wire_struct!(@in version $($min)?; $($max)?) {
                        $crate::protocol::codec::Encode::encode(&self.$field, dst, version)?;
                    }
                )*
                Ok(())
            }
        }

        impl $crate::protocol::codec::Decode for $name {
            #[allow(unused_variables)]
            fn decode(
                src: &mut $crate::protocol::codec::Reader,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<Self, $crate::protocol::codec::DecodeError> {
                Ok(Self {
                    $(
                        $field: if $crate::wire_struct!(@in version $($min)?; $($max)?) {
                            <$ty as $crate::protocol::codec::Decode>::decode(src, version)?
                        } else {
                            ::core::default::Default::default()
                        },
                    )*
                })
            }
        }
    };
    (@in $v:ident ; ) => { true };
    (@in $v:ident $min:expr ; ) => { $v >= $min };
    (@in $v:ident ; $max:expr) => { $v <= $max };
    (@in $v:ident $min:expr ; $max:expr) => { (($min)..=($max)).contains(&$v) };
}

/// Defines a field-less enum written as a fixed-size integer tag.
///
/// ```
/// flv_core::wire_enum! {
///     /// An example.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
///     pub enum Level: u8 {
///         /// Zero.
///         #[default]
///         Low = 0,
///         /// One.
///         High = 1,
///     }
/// }
/// let bytes = flv_core::codec::encode_to_bytes(&Level::High, 0).unwrap();
/// assert_eq!(&bytes[..], &[1]);
/// ```
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$emeta:meta])*
        $vis:vis enum $name:ident : $tag:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:expr
            ),* $(,)?
        }
    ) => {
        $(#[$emeta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The wire tag of this variant.
            pub fn tag(&self) -> $tag {
                match self {
                    $( Self::$variant => $value, )*
                }
            }

            /// The variant for a wire tag, if any.
            pub fn from_tag(tag: $tag) -> ::core::option::Option<Self> {
                $( if tag == $value { return Some(Self::$variant); } )*
                None
            }
        }

        impl $crate::protocol::codec::Encode for $name {
            fn encode(
                &self,
                dst: &mut ::bytes::BytesMut,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<(), $crate::protocol::codec::EncodeError> {
                $crate::protocol::codec::Encode::encode(&self.tag(), dst, version)
            }
        }

        impl $crate::protocol::codec::Decode for $name {
            fn decode(
                src: &mut $crate::protocol::codec::Reader,
                version: $crate::protocol::codec::Version,
            ) -> ::core::result::Result<Self, $crate::protocol::codec::DecodeError> {
                let tag = <$tag as $crate::protocol::codec::Decode>::decode(src, version)?;
                Self::from_tag(tag).ok_or($crate::protocol::codec::DecodeError::UnknownTag {
                    what: stringify!($name),
                    tag: tag as i64,
                })
            }
        }
    };
}
